/// The coordinator's side of the checkpoint protocol, for every partition: which checkpoints to
/// admit (the current holder, the current epoch, the next seq), which workers store the copies,
/// when a checkpoint is committed, what a commit lets go of (log segments), and where a new
/// owner gets the committed state from. Pure: the coordinator (`Coordinator+Checkpoints`) and
/// the seeded simulation (`CheckpointSimulationTests`) carry out its decisions.
///
/// Leases are judged by `LeaseAuthority`; callers pass its verdict in (`holderIsCurrent`), so
/// this type stays independent of how leases are kept.
public struct CheckpointAuthority: Sendable {
    /// Copies of each checkpoint the cluster keeps: the owner's plus `replicationFactor − 1` standbys'.
    public let replicationFactor: Int
    /// The committed checkpoint of each partition (durable in the coordinator's store before it
    /// is recorded here).
    public private(set) var commits: [CheckpointCommit?]
    /// When each partition's checkpoint was last committed (this process's clock).
    public private(set) var committedAt: [Int: Int64] = [:]
    public private(set) var committedCount: Int64 = 0
    /// Checkpoints refused because their epoch was not current (a paused owner's late write).
    public private(set) var staleRefused: Int64 = 0
    /// The checkpoint of each partition last answered "a standby needs a base": its owner has
    /// moved on to a base with the same seq (and its store replaced the delta), so another copy
    /// of that delta (a duplicated or resent message) must never commit.
    private var answeredNeedBase: [Int: (epoch: UInt64, seq: UInt64, digest: UInt64)] = [:]

    public init(replicationFactor: Int, commits: [CheckpointCommit?]) {
        precondition(replicationFactor >= 1, "a checkpoint has at least its owner's copy")
        self.replicationFactor = replicationFactor
        self.commits = commits
    }

    /// Why a checkpoint may not proceed.
    public struct Refusal: Sendable, Equatable, Error {
        public var status: CheckpointStatus
        public var message: String
    }

    /// Fencing and sequencing of checkpoint `seq` of `lease`: nil when it may proceed. Checked
    /// when it arrives and again just before the commit (the lease may have moved while the
    /// standbys stored their copies).
    /// `digest` names the checkpoint: one answered `askedForBase` is refused again.
    public mutating func admit(_ lease: LeaseRef, seq: UInt64, digest: UInt64, holder: String, holderIsCurrent: Bool) -> Refusal? {
        guard holderIsCurrent else {
            staleRefused += 1
            return Refusal(status: .stale, message: "epoch \(lease.epoch) of partition \(lease.partition) is not current for \(holder)")
        }
        let committedSeq = commits[lease.partition]?.seq ?? 0
        guard seq == committedSeq + 1 else {
            return Refusal(status: .refused, message: "partition \(lease.partition) expects checkpoint \(committedSeq + 1), got \(seq)")
        }
        if let answered = answeredNeedBase[lease.partition], answered == (lease.epoch, seq, digest) {
            return Refusal(status: .needBase, message: "checkpoint \(seq) of partition \(lease.partition) was answered with need-base already (a second copy of it)")
        }
        return nil
    }

    /// The owner of `lease` was told its checkpoint `seq` (`digest`) needs a base instead.
    public mutating func askedForBase(_ lease: LeaseRef, seq: UInt64, digest: UInt64) {
        answeredNeedBase[lease.partition] = (lease.epoch, seq, digest)
    }

    /// The standbys for a checkpoint of `partition` owned by `owner`, as many as the replication
    /// factor asks for (fewer when fewer other workers are connected). The first is `preferred`
    /// (the lease authority's choice: the worker it will move the partition to, else the current
    /// standby, else spread) when connected; further ones are live workers storing the committed
    /// checkpoint already (they take a delta, not a base), then the other live ones, spread by
    /// partition. Only live workers: a copy sent to a paused one would hold the commit up. A
    /// commit with the owner's copy alone is the last resort.
    public func standbys(for partition: Int, owner: WorkerIdentity, preferred: WorkerIdentity?,
                         connected: [WorkerIdentity], live: Set<WorkerIdentity>) -> [WorkerIdentity] {
        let wanted = replicationFactor - 1
        guard wanted > 0 else { return [] }
        var chosen: [WorkerIdentity] = []
        if let preferred, preferred != owner, connected.contains(preferred) { chosen.append(preferred) }
        let others = connected.filter { $0 != owner && live.contains($0) }.sorted()
        guard !others.isEmpty else { return chosen }
        let storing = Set(commits[partition]?.replicas ?? [])
        let spread = (0..<others.count).map { others[($0 + partition) % others.count] }
        for candidate in spread.filter({ storing.contains($0.name) }) + spread where chosen.count < wanted {
            if !chosen.contains(candidate) { chosen.append(candidate) }
        }
        return chosen
    }

    /// What the standbys' answers decide.
    public enum ReplicationOutcome: Sendable, Equatable {
        /// Commit with these replicas (the owner first); `missing` did not store a copy.
        case commit(replicas: [String], missing: [String])
        /// A standby lacks the delta's predecessor: no commit, the owner sends a base next.
        case needBase(standby: String)
    }

    /// Every standby stores its copy side by side and the commit waits for all of them; a
    /// standby that refused or went away is left out (the commit has fewer copies), one that
    /// lacks the chain's predecessor makes the owner send a base.
    public func outcome(owner: String, answers: [(standby: String, status: ReplicaStatus?)]) -> ReplicationOutcome {
        var replicas = [owner]
        var missing: [String] = []
        for (name, status) in answers.sorted(by: { $0.standby < $1.standby }) {
            switch status {
            case .stored: replicas.append(name)
            case .needBase: return .needBase(standby: name)
            case .refused, nil: missing.append(name)
            }
        }
        return .commit(replicas: replicas, missing: missing)
    }

    /// What a commit lets the coordinator do.
    public enum CommitDirective: Sendable, Equatable {
        /// Delete the partition's log before these offsets: every job has checkpointed past them
        /// and the checkpoint has as many copies as the cluster can hold.
        case truncateLog(partition: Int, before: [StreamOffset])
    }

    /// Records a commit the coordinator has made durable. `workers` is how many workers are
    /// connected: a checkpoint with as many copies as the cluster can hold (a lost owner's standby
    /// restores it) lets the log go; one with a single copy keeps the log as the fallback.
    public mutating func committed(_ record: CheckpointCommit, partition: Int, workers: Int, now: Int64) -> [CommitDirective] {
        precondition(record.seq == (commits[partition]?.seq ?? 0) + 1, "commits of a partition follow each other (admit checks it)")
        commits[partition] = record
        answeredNeedBase[partition] = nil
        committedAt[partition] = now
        committedCount += 1
        guard record.replicas.count >= min(replicationFactor, workers) else { return [] }
        return [.truncateLog(partition: partition, before: record.offsets)]
    }

    /// What a grant tells the new owner to restore.
    public func committedCheckpoint(of partition: Int) -> CommittedCheckpoint {
        commits[partition].map { CommittedCheckpoint(seq: $0.seq, digest: $0.digest) } ?? .none
    }

    /// Where a new owner's missing state comes from.
    public enum StateSource: Sendable, Equatable {
        /// Ask `source` to ship the chain; if it cannot, the next of `others`.
        case replica(source: WorkerIdentity, others: [WorkerIdentity])
        /// No chain comes (say why); the owner may rebuild from older state within the log's bounds.
        case none(why: String)
    }

    /// A new owner asks for committed checkpoint (`seq`, `digest`) it does not hold. Only a
    /// replica heard from within `promptWithin` ms is asked, so a paused or gone one does not
    /// hold the failover up; with none, the answer comes at once.
    public func stateSource(for lease: LeaseRef, seq: UInt64, digest: UInt64, requester: WorkerIdentity,
                            requesterIsCurrent: Bool, connected: [WorkerIdentity], live: Set<WorkerIdentity>,
                            lastHeard: [WorkerIdentity: Int64], now: Int64, promptWithin: Int64) -> StateSource {
        guard requesterIsCurrent else { return .none(why: "epoch \(lease.epoch) of partition \(lease.partition) is not current") }
        guard let commit = commits[lease.partition], commit.seq == seq, commit.digest == digest else {
            return .none(why: "checkpoint \(seq) is not the committed one of partition \(lease.partition)")
        }
        let holding = commit.replicas.compactMap { name in connected.first { $0.name == name } }.filter { $0 != requester }
        guard !holding.isEmpty else { return .none(why: StateTransfer.noReplicaConnected) }
        let prompt = holding.filter { live.contains($0) && now - (lastHeard[$0] ?? .min / 2) <= promptWithin }
        guard let source = prompt.first else { return .none(why: StateTransfer.replicasSilent) }
        return .replica(source: source, others: Array(prompt.dropFirst()))
    }
}
