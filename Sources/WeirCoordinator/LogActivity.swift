/// When each partition of each stream last received events, learned by watching the logs'
/// durable ends (the ingest paths stay free of bookkeeping). Feeds idleness: a partition whose
/// log has not grown for a while is idle.
struct LogActivity {
    private var ends: [String: [UInt64]] = [:]
    private var changedAt: [String: [Int64?]] = [:]

    /// Records the current log ends of `stream` at `now` (coordinator clock, ms).
    mutating func observe(stream: String, ends current: [UInt64], now: Int64) {
        guard let previous = ends[stream], previous.count == current.count else {
            ends[stream] = current
            changedAt[stream] = current.map { _ in nil }
            return
        }
        for (p, end) in current.enumerated() where end != previous[p] { changedAt[stream]?[p] = now }
        ends[stream] = current
    }

    /// Milliseconds since partition `p` of `stream` last grew; nil when it has not grown since
    /// this coordinator started watching.
    func idleMilliseconds(stream: String, partition p: Int, now: Int64) -> Int64? {
        guard let at = changedAt[stream]?[p] ?? nil else { return nil }
        return now - at
    }
}
