/// When each partition of each stream last received events, learned by watching the logs'
/// durable ends (the ingest paths stay free of bookkeeping). Feeds idleness: a partition whose
/// log has not grown for a while is idle. Control records the coordinator writes itself
/// (`LogControlRecord`) are not activity.
struct LogActivity {
    private var ends: [String: [UInt64]] = [:]
    private var changedAt: [String: [Int64]] = [:]
    private var controlRecords: [String: [UInt64]] = [:]

    /// Records the current log ends of `stream` at `now` (coordinator clock, ms). A partition
    /// first seen counts as changed now: nothing is known of its past.
    mutating func observe(stream: String, ends current: [UInt64], now: Int64) {
        let control = controlRecords[stream] ?? []
        let events = current.enumerated().map { p, end in
            let own = p < control.count ? control[p] : 0
            return end > own ? end - own : 0
        }
        guard let previous = ends[stream], previous.count == events.count else {
            ends[stream] = events
            changedAt[stream] = events.map { _ in now }
            return
        }
        // Only growth counts: a control record queued but not yet durable makes the count dip.
        for (p, end) in events.enumerated() where end > previous[p] { changedAt[stream]?[p] = now }
        ends[stream] = events.enumerated().map { max($1, previous[$0]) }
    }

    /// Notes a control record appended to partition `p` of `stream` (`partitions` in all).
    mutating func controlRecordAppended(stream: String, partition p: Int, partitions: Int) {
        if controlRecords[stream] == nil { controlRecords[stream] = Array(repeating: 0, count: partitions) }
        controlRecords[stream]?[p] += 1
    }

    /// Milliseconds since partition `p` of `stream` last grew (or since it was first watched);
    /// nil before the stream was first observed.
    func idleMilliseconds(stream: String, partition p: Int, now: Int64) -> Int64? {
        guard let at = changedAt[stream], p < at.count else { return nil }
        return now - at[p]
    }
}
