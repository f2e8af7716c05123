/// Measures how long partitions go unprocessed when they move: from losing their owner (a
/// failover: disconnect or lapsed lease) or being released (a planned handoff) to the new
/// owner's first read of the log, which comes after it restored the committed checkpoint.
struct MoveTimer {
    private var orphanedAt: [Int: Int64] = [:]
    private var releasedAt: [Int: Int64] = [:]
    private var lastEpochRead: [Int: UInt64] = [:]
    /// The most recent measurements (bounded), in milliseconds.
    private(set) var failovers: [Int64] = []
    private(set) var handoffs: [Int64] = []
    static let kept = 1_000

    mutating func ownerLost(_ p: Int, now: Int64) {
        if orphanedAt[p] == nil { orphanedAt[p] = now }
    }

    mutating func released(_ p: Int, now: Int64) {
        if orphanedAt[p] == nil && releasedAt[p] == nil { releasedAt[p] = now }
    }

    /// A fenced read of the log by the partition's current owner.
    mutating func read(_ p: Int, epoch: UInt64, now: Int64) {
        guard lastEpochRead[p] != epoch else { return }
        lastEpochRead[p] = epoch
        if let t = orphanedAt.removeValue(forKey: p) {
            failovers.append(now - t)
            if failovers.count > Self.kept { failovers.removeFirst(failovers.count - Self.kept) }
            releasedAt[p] = nil
        } else if let t = releasedAt.removeValue(forKey: p) {
            handoffs.append(now - t)
            if handoffs.count > Self.kept { handoffs.removeFirst(handoffs.count - Self.kept) }
        }
    }
}
