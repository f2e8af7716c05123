/// The values the checkpoint protocol decides on, shared by the owner (`CheckpointOwner`), the
/// authority (`CheckpointAuthority`), the wire messages that carry them and the stores.

/// When no replica can ship the committed chain at once, the reply says so with one of these
/// `error`s and carries `ReplayBounds`. The new owner may then rebuild from any state it holds
/// that is older than the committed checkpoint (or from nothing) and process the log from that
/// state's offsets, provided the log still starts at or before them: processing is a
/// deterministic function of the log, so it reaches the committed state and goes on from there.
public enum StateTransfer {
    /// No connected worker holds the committed chain (it may be restarting).
    public static let noReplicaConnected = "no-replica-connected"
    /// The workers holding it are connected but have not been heard from lately (paused, or too
    /// busy to answer soon): the new owner either rebuilds from older state, when little of the
    /// log is to be processed again, or asks again.
    public static let replicasSilent = "replicas-silent"
}

/// What the coordinator committed for a partition: the checkpoint (seq, digest) a new owner restores.
public struct CommittedCheckpoint: Sendable, Equatable {
    public var seq: UInt64
    public var digest: UInt64
    public init(seq: UInt64, digest: UInt64) { self.seq = seq; self.digest = digest }
    public static let none = CommittedCheckpoint(seq: 0, digest: 0)
}

public struct StreamOffset: Sendable, Equatable {
    public var stream: String
    public var offset: UInt64
    public init(stream: String, offset: UInt64) { self.stream = stream; self.offset = offset }
}

public enum CheckpointStatus: UInt8, Sendable, Equatable {
    case committed = 0
    /// The standby lacks the predecessor of this delta: send a base next.
    case needBase = 1
    /// Not the current epoch: stop working on the partition.
    case stale = 2
    /// Refused (wrong seq, corrupt, or the coordinator could not store the commit): send a base next.
    case refused = 3
}

public enum ReplicaStatus: UInt8, Sendable, Equatable {
    case stored = 0
    case needBase = 1
    /// Corrupt, foreign, stale epoch, or the standby's store failed.
    case refused = 2
}


/// What the coordinator committed for a partition: the checkpoint (epoch, seq, digest) a new
/// owner must restore, the log offsets it covers per stream, and the workers holding it.
public struct CheckpointCommit: Sendable, Equatable {
    public var epoch: UInt64
    public var seq: UInt64
    public var digest: UInt64
    /// Per stream, the lowest next offset of the partition's jobs: the log before it is no
    /// longer needed once the checkpoint is replicated.
    public var offsets: [StreamOffset]
    /// Names of the workers that stored this checkpoint (owner first).
    public var replicas: [String]

    public init(epoch: UInt64, seq: UInt64, digest: UInt64, offsets: [StreamOffset], replicas: [String]) {
        self.epoch = epoch
        self.seq = seq
        self.digest = digest
        self.offsets = offsets
        self.replicas = replicas
    }

}
