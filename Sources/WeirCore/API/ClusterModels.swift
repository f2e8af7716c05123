/// The answer to an ingest request.
public struct IngestResult: Sendable, Equatable {
    public var accepted: Int
    public var rejected: Int
    /// The first rejected lines (bounded), with reason and message.
    public var problems: [IngestProblemInfo]
    /// An idempotent producer's batch the log held already (a resend): nothing was appended
    /// again; the counts are those of the batch.
    public var duplicate: Bool
    public init(accepted: Int, rejected: Int, problems: [IngestProblemInfo], duplicate: Bool = false) {
        self.accepted = accepted
        self.rejected = rejected
        self.problems = problems
        self.duplicate = duplicate
    }
}

/// A batch of an idempotent producer (Kafka's producer id and sequence): the log appends a
/// producer's batches once each, however often they are sent, so a producer that resends
/// whatever was not acknowledged (after a lost connection or a coordinator restart) counts
/// every event exactly once.
public struct ProducerBatch: Sendable, Equatable {
    /// Chosen by the producer (random, from 1), the same for all its batches.
    public var producer: UInt64
    /// The batch's number: 1 for the producer's first batch, one more for each next one.
    public var seq: UInt64

    public init(producer: UInt64, seq: UInt64) {
        self.producer = producer
        self.seq = seq
    }

    /// How far back a producer's batch may be and still count as a resend: an older sequence
    /// than the producer's newest minus this is refused (a reused producer id, most likely).
    public static let resendWindow: UInt64 = 1_024
}

public struct IngestProblemInfo: Sendable, Equatable {
    public var line: Int
    public var reason: String
    public var message: String
    public init(line: Int, reason: String, message: String) { self.line = line; self.reason = reason; self.message = message }
}

/// A registered job.
public struct JobInfo: Sendable, Equatable {
    public var name: String
    public var stream: String
    public var specText: String
    public init(name: String, stream: String, specText: String) { self.name = name; self.stream = stream; self.specText = specText }
}

/// A declared stream and how it is partitioned.
public struct StreamInfo: Sendable, Equatable {
    public var name: String
    /// nil: partitioned by a hash of the whole event.
    public var keyField: String?
    public init(name: String, keyField: String?) { self.name = name; self.keyField = keyField }
}

/// The state of the cluster for `GET /v1/cluster` and `weir status`.
public struct ClusterStatus: Sendable, Equatable {
    public struct Worker: Sendable, Equatable {
        public var name: String
        public var incarnation: UInt64
        public var leaving: Bool
        public var partitions: [Int]
        /// Why the worker is unhealthy (nil: healthy), e.g. its checkpoint store is full.
        public var problem: String?
        public init(name: String, incarnation: UInt64, leaving: Bool, partitions: [Int]) {
            self.name = name; self.incarnation = incarnation; self.leaving = leaving; self.partitions = partitions
        }
    }

    public struct Partition: Sendable, Equatable {
        public var partition: Int
        public var holder: String?
        public var epoch: UInt64
        public var revoking: Bool
        /// Events durably in the partition's log.
        public var logEnd: UInt64
        /// Offset the holder last asked for (its progress).
        public var consumed: UInt64
        public var lag: UInt64 { logEnd > consumed ? logEnd - consumed : 0 }
        /// The committed checkpoint (seq 0: none yet), the events it covers and who stores it.
        public var checkpointSeq: UInt64 = 0
        public var checkpointOffset: UInt64 = 0
        public var replicas: [String] = []
        /// Milliseconds since the committed checkpoint was committed (nil: none since this coordinator started).
        public var checkpointAgeMilliseconds: Int64?
        /// Milliseconds since the partition's log last grew (nil: not since the coordinator started).
        public var idleMilliseconds: Int64?
        public init(partition: Int, holder: String?, epoch: UInt64, revoking: Bool, logEnd: UInt64, consumed: UInt64) {
            self.partition = partition; self.holder = holder; self.epoch = epoch; self.revoking = revoking
            self.logEnd = logEnd; self.consumed = consumed
        }
    }

    public var workers: [Worker]
    public var partitions: [Partition]
    public var streams: [StreamInfo]
    public var jobs: [String]
    public var eventsAccepted: Int64
    public var eventsRejected: Int64
    public var checkpointsCommitted: Int64 = 0
    /// Fenced writes (checkpoints) refused because their epoch was not current.
    public var staleWritesRefused: Int64 = 0
    /// Recent failovers after an owner's connection closed (crash, kill -9): milliseconds from
    /// the disconnect to the new owner's first read of the log (state restored, processing again).
    public var failoverMilliseconds: [Int64] = []
    /// Recent failovers after an owner went silent (paused, cut off): from when it was last heard
    /// of (its lease lapses TTL + grace later) to the new owner's first read.
    public var silentFailoverMilliseconds: [Int64] = []
    /// Recent failovers (after a disconnect or a silence) whose new owner was lost too before it
    /// read: two faults in one move, timed from the first loss; not in the two lists above.
    public var failoverWithNewOwnerLostMilliseconds: [Int64] = []
    /// Recent planned moves: from release by the old owner to the new owner's first read.
    public var handoffMilliseconds: [Int64] = []
    /// Recent failovers after a disconnect, until caught up: from the disconnect to the new
    /// owner reading past where the lost owner had read to (restore plus the work redone).
    public var failoverCatchUpMilliseconds: [Int64] = []
    /// A partition without events for this long is idle (see `CoordinatorSettings`).
    public var idleAfterMilliseconds: Int64 = 0
    public init(workers: [Worker], partitions: [Partition], streams: [StreamInfo], jobs: [String], eventsAccepted: Int64, eventsRejected: Int64) {
        self.workers = workers; self.partitions = partitions; self.streams = streams; self.jobs = jobs
        self.eventsAccepted = eventsAccepted; self.eventsRejected = eventsRejected
    }
}
