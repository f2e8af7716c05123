import WeirCore

/// Every message between Weir processes. On the wire each is one frame:
///
/// ```
///  0        4         5       6
///  +--------+---------+-------+---------------------------+
///  | length | version | type  | payload (little-endian)   |
///  | u32 LE | u8 = 1  | u8    | length − 2 bytes          |
///  +--------+---------+-------+---------------------------+
/// ```
/// Every message that changes or reads a partition's state carries (partition, epoch) and a
/// sequence or request number, and the receiver checks the epoch (fencing).
public enum WireMessage: Sendable, Equatable {
    // Worker → coordinator
    /// First message of a worker connection.
    case hello(worker: String, incarnation: UInt64, cores: Int)
    case renew(seq: UInt64, leases: [LeaseRef])
    case release(LeaseRef)
    /// The worker wants to leave: revoke everything, it disconnects afterwards.
    case leave
    /// Read a stream's log of a partition from `offset` (also reports the worker's progress).
    case fetch(request: UInt64, lease: LeaseRef, stream: String, offset: UInt64, maxBytes: Int)
    /// Answer to `.queryPartials`.
    case partials(request: UInt64, reports: [PartitionReport])

    // Coordinator → worker
    case welcome(leaseTTLMilliseconds: Int64, partitionCount: Int)
    case grant(LeaseRef)
    case revoke(LeaseRef)
    case renewReply(seq: UInt64, verdicts: [LeaseVerdict])
    case fetchReply(request: UInt64, lease: LeaseRef, status: FetchStatus, chunk: WireLogChunk)
    /// The complete set of registered jobs (name, spec text); replaces the previous set.
    case jobs([JobDefinition])
    /// Partials of windows starting in `[from, to)`; with `last` > 0, only those starting within
    /// `last` ms of the partition's newest window end (a superset of the merged `last` answer).
    case queryPartials(request: UInt64, job: String, from: Int64, to: Int64, last: Int64)

    // Producer (replay) → coordinator
    case ingest(seq: UInt64, stream: String, lines: [UInt8])
    // Coordinator → producer
    case ingestReply(seq: UInt64, accepted: Int, rejected: Int, problems: [IngestProblemInfo], error: String?)

    /// Either side: a protocol error; the sender closes the connection after it.
    case failure(code: String, message: String)
}

public struct LeaseVerdict: Sendable, Equatable {
    public var lease: LeaseRef
    public var verdict: LeaseAuthority.RenewVerdict
    public init(lease: LeaseRef, verdict: LeaseAuthority.RenewVerdict) { self.lease = lease; self.verdict = verdict }
}

public enum FetchStatus: UInt8, Sendable, Equatable {
    case ok = 0
    /// The epoch is not current: stop working on the partition.
    case stale = 1
    /// The offset is beyond the log's end (a bug or a restored log): the worker must restart the partition.
    case outOfRange = 2
}

/// Log events shipped to a worker.
public struct WireLogChunk: Sendable, Equatable {
    public var firstOffset: UInt64
    public var count: Int
    public var durableEnd: UInt64
    public var lines: [UInt8]
    public init(firstOffset: UInt64, count: Int, durableEnd: UInt64, lines: [UInt8]) {
        self.firstOffset = firstOffset
        self.count = count
        self.durableEnd = durableEnd
        self.lines = lines
    }
    public static let empty = WireLogChunk(firstOffset: 0, count: 0, durableEnd: 0, lines: [])
    public var nextOffset: UInt64 { firstOffset + UInt64(count) }
}

public struct JobDefinition: Sendable, Equatable {
    public var name: String
    public var specText: String
    public init(name: String, specText: String) { self.name = name; self.specText = specText }
}
