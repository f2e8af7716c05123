/// A partition number, `0..<partitionCount`.
public typealias PartitionID = Int

/// A fencing epoch: per partition, strictly increasing across every grant ever made.
public typealias Epoch = UInt64

/// One run of a worker process: its stable name plus a number that differs per start, so the
/// coordinator can tell a restarted worker (which holds nothing) from a reconnecting one.
public struct WorkerIdentity: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var name: String
    public var incarnation: UInt64

    public init(name: String, incarnation: UInt64) {
        self.name = name
        self.incarnation = incarnation
    }

    public static func < (a: WorkerIdentity, b: WorkerIdentity) -> Bool {
        a.name != b.name ? a.name < b.name : a.incarnation < b.incarnation
    }

    public var description: String { "\(name)#\(incarnation)" }
}

/// Lease timing, in milliseconds of the injected monotonic clock.
///
/// Safety argument: a holder's lease is valid until (send time of its last acknowledged renewal)
/// + TTL − `holderMargin`; the authority regrants only after (receive time of the last renewal it
/// accepted) + TTL + `regrantGrace`. The send time precedes the receive time, so the old holder's
/// validity always ends before a new grant exists, as long as the two clocks drift apart by less
/// than `holderMargin + regrantGrace` per TTL.
public struct LeaseSettings: Sendable, Equatable {
    /// How long a lease lasts without a renewal. Default 3 s.
    public var ttlMilliseconds: Int64 = 3_000
    /// How much earlier than the authority the holder gives up. Default 300 ms.
    public var holderMarginMilliseconds: Int64 = 300
    /// How much longer than TTL the authority waits before regranting. Default 200 ms.
    public var regrantGraceMilliseconds: Int64 = 200

    public init() {}

    public init(ttlMilliseconds: Int64) {
        precondition(ttlMilliseconds >= 30, "lease TTL must be at least 30 ms, got \(ttlMilliseconds)")
        self.ttlMilliseconds = ttlMilliseconds
        holderMarginMilliseconds = ttlMilliseconds / 10
        regrantGraceMilliseconds = ttlMilliseconds / 15
    }

    /// A worker that joined less than this ago gets free partitions but none taken from others:
    /// a worker that crashes and restarts in a loop must not make every partition move. One TTL.
    public var joinSettleMilliseconds: Int64 { ttlMilliseconds }

    /// How long a holder that was asked to hand a partition off may keep renewing it while it
    /// takes its last checkpoint (a checkpoint waits for the standby's copy, which under load
    /// can outlast one TTL). Two TTLs.
    public var handoffLimitMilliseconds: Int64 { 2 * ttlMilliseconds }

    /// How long after a worker settled partitions whose state it does not store yet may move to
    /// it (until then only warm moves happen, while its standby copies arrive). Three TTLs.
    public var warmupMilliseconds: Int64 { 3 * ttlMilliseconds }

    /// Holders renew every TTL/3, so two renewals may be lost before a lease lapses.
    public var renewIntervalMilliseconds: Int64 { ttlMilliseconds / 3 }

    /// A new holder renews a granted lease at once; a grant not renewed within this long went to
    /// a worker that is paused or starved, and goes elsewhere (no need to wait a whole TTL: the
    /// holder cannot have used a lease it never renewed). TTL/3.
    public var grantTakeUpMilliseconds: Int64 { ttlMilliseconds / 3 }
}
