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
    /// Also the heartbeat; `problem` is the worker's health ("" = healthy), e.g. a full checkpoint store.
    case renew(seq: UInt64, leases: [LeaseRef], problem: String)
    case release(LeaseRef)
    /// The worker wants to leave: revoke everything, it disconnects afterwards.
    case leave
    /// Read a stream's log of a partition from `offset` (also reports the worker's progress).
    case fetch(request: UInt64, lease: LeaseRef, stream: String, offset: UInt64, maxBytes: Int)
    /// Answer to `.queryPartials`.
    case partials(request: UInt64, reports: [PartitionReport])
    /// A checkpoint the owner committed locally (`CheckpointBlob`), to replicate and commit.
    /// `offsets`: per stream, the lowest next offset over the partition's jobs (log truncation).
    case checkpoint(lease: LeaseRef, seq: UInt64, digest: UInt64, offsets: [StreamOffset], blob: [UInt8], timing: CheckpointTiming)
    /// A standby's answer to `.replicate`.
    case replicated(request: UInt64, partition: Int, seq: UInt64, status: ReplicaStatus, message: String)
    /// Either way: ask for the checkpoint chain that rebuilds committed checkpoint (seq, digest)
    /// of the lease's partition (new owner → coordinator → a worker that has it).
    case stateRequest(request: UInt64, lease: LeaseRef, seq: UInt64, digest: UInt64)
    /// Either way: the answer to `.stateRequest`: the blobs, base first, or why there are none
    /// (with `bounds`, what else the new owner may rebuild from: see `StateTransfer`).
    case stateReply(request: UInt64, partition: Int, blobs: [[UInt8]], error: String, bounds: ReplayBounds = .none)

    // Coordinator → worker
    case welcome(leaseTTLMilliseconds: Int64, partitionCount: Int)
    /// The lease, and the committed checkpoint the new owner must restore (seq 0: none yet).
    case grant(LeaseRef, committed: CommittedCheckpoint)
    case revoke(LeaseRef)
    case renewReply(seq: UInt64, verdicts: [LeaseVerdict])
    case fetchReply(request: UInt64, lease: LeaseRef, status: FetchStatus, chunk: WireLogChunk)
    /// The complete set of registered jobs (name, spec text); replaces the previous set.
    case jobs([JobDefinition])
    /// The answer to `.checkpoint`.
    case checkpointReply(lease: LeaseRef, seq: UInt64, status: CheckpointStatus, message: String)
    /// Store a checkpoint of a partition this worker is the standby of.
    case replicate(request: UInt64, partition: Int, epoch: UInt64, seq: UInt64, blob: [UInt8])
    /// Partials of windows starting in `[from, to)`; with `last` > 0, only those starting within
    /// `last` ms of the partition's newest window end (a superset of the merged `last` answer).
    /// Rows of windows starting in `skipFinals` are left out: the coordinator has them merged.
    case queryPartials(request: UInt64, job: String, from: Int64, to: Int64, last: Int64, skipFinals: Range<Int64>)
    /// Asks a standby for partials of partitions whose owner cannot answer (moving, failing
    /// over), computed from the committed checkpoint it stores (`lease.epoch`: the epoch that
    /// committed it). Answered with `partials`.
    case standbyQuery(request: UInt64, job: String, from: Int64, to: Int64, last: Int64, checkpoints: [StandbyCheckpoint])

    // Producer (replay) → coordinator
    /// `producer` 0: a plain batch, `seq` only numbers it on this connection. Otherwise an
    /// idempotent producer's batch `seq` (`ProducerBatch`): appended once however often sent.
    case ingest(seq: UInt64, stream: String, lines: [UInt8], producer: UInt64 = 0)
    // Coordinator → producer
    /// `error`: why the whole batch was not accepted, classified (a user's mistake such as an
    /// unknown stream, or an external failure such as a full disk, which a resend may get past).
    /// `duplicate`: the log held this producer batch already (nothing appended again).
    case ingestReply(seq: UInt64, accepted: Int, rejected: Int, problems: [IngestProblemInfo], error: APIError?, duplicate: Bool = false)

    /// Either side: a protocol error, classified; the sender closes the connection after it.
    case failure(APIError)
    /// The first message of a connection to a coordinator that has tokens (`--auth-tokens`):
    /// workers and producers present a write token before `hello` or `ingest`.
    case auth(token: String)
}

/// Conventions of `.stateRequest` / `.stateReply`.
///
/// A committed checkpoint a standby is asked to answer from.
public struct StandbyCheckpoint: Sendable, Equatable {
    public var lease: LeaseRef
    public var committed: CommittedCheckpoint
    public init(lease: LeaseRef, committed: CommittedCheckpoint) { self.lease = lease; self.committed = committed }
}

/// How long the owner spent on a checkpoint before sending it (for the coordinator's metrics).
public struct CheckpointTiming: Sendable, Equatable {
    /// Processing of the partition waited this long while its state was captured.
    public var stallMicroseconds: UInt64
    /// Capture, sealing and the local durable store together.
    public var localMicroseconds: UInt64
    public init(stallMicroseconds: UInt64 = 0, localMicroseconds: UInt64 = 0) {
        self.stallMicroseconds = stallMicroseconds; self.localMicroseconds = localMicroseconds
    }
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
