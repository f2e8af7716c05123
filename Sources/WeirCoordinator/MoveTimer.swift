/// Measures how long partitions go unprocessed when they move: from losing their owner (a
/// failover: disconnect or lapsed lease) or being released (a planned handoff) to the new
/// owner's first read of the log, which comes after it restored the committed checkpoint — and,
/// for failovers after a crash, until the new owner's reads pass where the lost owner had read to
/// (the work redone since the last commit is done again: the partition has caught up).
struct MoveTimer {
    private var orphanedAt: [Int: (time: Int64, silent: Bool)] = [:]
    private var releasedAt: [Int: Int64] = [:]
    private var lastEpochRead: [Int: UInt64] = [:]
    /// Per partition on the move: how many grants it has had since, and when the last one was.
    private var grants: [Int: (count: Int, last: Int64)] = [:]
    /// Partitions on the move whose new owner was lost too (killed, paused, or not taking the
    /// grant up) before it read: two faults in one move.
    private var newOwnerLost: Set<Int> = []
    /// The most recent measurements (bounded), in milliseconds.
    /// Owner's connection closed (crash, kill -9).
    private(set) var failovers: [Int64] = []
    /// Owner went silent (paused, cut off): timed from when it was last heard of.
    private(set) var silentFailovers: [Int64] = []
    /// Failovers (after a kill or a pause) whose new owner was lost as well before it read:
    /// timed from the first loss, so they include the second fault's detection (a lapsed lease
    /// when the new owner was paused). Kept apart so each kind's figure measures one fault.
    private(set) var failoversWithNewOwnerLost: [Int64] = []
    private(set) var handoffs: [Int64] = []
    /// Owner's connection closed → the partition's reads are back where the lost owner had got.
    private(set) var failoverCatchUps: [Int64] = []
    /// Per partition lost in a crash: when, and per stream the offset its owner had read to.
    private var catchingUp: [Int: (time: Int64, targets: [String: UInt64])] = [:]
    static let kept = 1_000

    /// `readTo`: per stream, where the lost owner had read the partition's log to.
    mutating func ownerLost(_ p: Int, now: Int64, silent: Bool, readTo: [String: UInt64] = [:]) {
        if orphanedAt[p] == nil {
            orphanedAt[p] = (now, silent)
        } else if grants[p] != nil {
            newOwnerLost.insert(p)
        }
        if !silent && catchingUp[p] == nil { catchingUp[p] = (now, readTo) }
    }

    mutating func released(_ p: Int, now: Int64) {
        if orphanedAt[p] == nil && releasedAt[p] == nil { releasedAt[p] = now }
    }

    /// The partition was granted (again): a move may take several grants when new owners are
    /// lost before they read, and the log line of the move says how many and when the last was.
    mutating func granted(_ p: Int, now: Int64) {
        guard orphanedAt[p] != nil || releasedAt[p] != nil else { return }
        grants[p] = ((grants[p]?.count ?? 0) + 1, now)
    }

    /// A grant of a partition on the move was withdrawn: its grantee did not take it up.
    mutating func grantNotTakenUp(_ p: Int) {
        if orphanedAt[p] != nil { newOwnerLost.insert(p) }
    }

    /// A move that ended: its kind, its duration, the grants it took and the time from the last
    /// grant to the first read (the new owner's restore).
    struct Move {
        var kind: String
        var milliseconds: Int64
        var grants: Int
        var sinceLastGrant: Int64?
    }

    /// A fenced read of the log by the partition's current owner; returns the move it ends
    /// (kind `failover`, `silent_failover`, `failover_new_owner_lost` or `handoff`), if any.
    @discardableResult
    mutating func read(_ p: Int, epoch: UInt64, now: Int64, stream: String = "", offset: UInt64 = 0) -> Move? {
        if var c = catchingUp[p] {
            if let target = c.targets[stream], offset >= target { c.targets[stream] = nil }
            if c.targets.isEmpty {
                catchingUp[p] = nil
                Self.keep(now - c.time, in: &failoverCatchUps)
            } else {
                catchingUp[p] = c
            }
        }
        guard lastEpochRead[p] != epoch else { return nil }
        lastEpochRead[p] = epoch
        let grant = grants.removeValue(forKey: p)
        func move(_ kind: String, _ ms: Int64) -> Move {
            Move(kind: kind, milliseconds: ms, grants: grant?.count ?? 0, sinceLastGrant: grant.map { now - $0.last })
        }
        let twoFaults = newOwnerLost.remove(p) != nil
        if let lost = orphanedAt.removeValue(forKey: p) {
            releasedAt[p] = nil
            if twoFaults {
                Self.keep(now - lost.time, in: &failoversWithNewOwnerLost)
                return move("failover_new_owner_lost", now - lost.time)
            }
            if lost.silent {
                Self.keep(now - lost.time, in: &silentFailovers)
                return move("silent_failover", now - lost.time)
            }
            Self.keep(now - lost.time, in: &failovers)
            return move("failover", now - lost.time)
        } else if let t = releasedAt.removeValue(forKey: p) {
            Self.keep(now - t, in: &handoffs)
            return move("handoff", now - t)
        }
        return nil
    }

    private static func keep(_ value: Int64, in list: inout [Int64]) {
        list.append(value)
        if list.count > kept { list.removeFirst(list.count - kept) }
    }
}
