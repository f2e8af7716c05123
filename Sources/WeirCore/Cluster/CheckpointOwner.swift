/// The owner's side of the checkpoint protocol for one partition it holds: which checkpoint to
/// take next (seq, base or delta, the digest it chains to), whether one may be taken now, and
/// what to do with each outcome — a local store that refused it, the coordinator's answer, a
/// lost connection. Pure: the worker (`Worker+Checkpoint`) and the seeded simulation
/// (`CheckpointSimulationTests`) both carry out its directives, so the simulation checks these
/// rules rather than a model of them.
///
/// At most one checkpoint of a partition is in flight: a delta captured while another is on its
/// way would chain to a digest that may never be committed, or skip the changes the first one
/// carries.
public struct CheckpointOwner: Sendable, Equatable {
    public struct Settings: Sendable, Equatable {
        /// Time between checkpoints of a partition (the worker's `--checkpoint-interval`).
        public var intervalMilliseconds: Int64
        /// A full base after this many checkpoints (it bounds the chain a restore folds).
        public var deltasPerBase: UInt64
        /// A partition without new events still checkpoints once per this many intervals, so one
        /// whose standby died gets a new standby (a whole base) without waiting for events.
        public var idleRefreshIntervals: Int64

        public init(intervalMilliseconds: Int64, deltasPerBase: UInt64 = 64, idleRefreshIntervals: Int64 = 10) {
            precondition(deltasPerBase >= 1, "a base must come at least every checkpoint")
            self.intervalMilliseconds = intervalMilliseconds
            self.deltasPerBase = deltasPerBase
            self.idleRefreshIntervals = idleRefreshIntervals
        }
    }

    /// A checkpoint to capture now.
    public struct Capture: Sendable, Equatable {
        /// Names this attempt in the answers below (a seq can be attempted again after a failure).
        public var attempt: UInt64
        public var seq: UInt64
        public var isBase: Bool
        /// The digest of the checkpoint this one follows (the committed one).
        public var previousDigest: UInt64
        /// Skip the capture when the partition's progress still equals this (nothing changed
        /// since the last commit); nil when it must be taken anyway (a base, a refresh, forced).
        public var skipIfProgressIs: UInt64?
    }

    /// The checkpoint on its way (captured, not answered yet).
    public struct InFlight: Sendable, Equatable {
        public var attempt: UInt64
        public var seq: UInt64
        public var isBase: Bool
        public var since: Int64
    }

    /// What the owner must do after an answer.
    public enum Directive: Sendable, Equatable {
        /// Nothing beyond what the state already records.
        case none
        /// Committed: the log before the checkpoint's offsets is no longer needed by this owner.
        case committed(CommittedCheckpoint)
        /// The partition is no longer this owner's (stale epoch, refused): stop it.
        case stopPartition(reason: String)
    }

    public let settings: Settings
    /// The newest checkpoint the coordinator committed for this partition (the grant's, then ours).
    public private(set) var committed: CommittedCheckpoint
    /// The next checkpoint must be a base (nothing committed in this chain yet, a standby lacked a
    /// predecessor, or a checkpoint failed).
    public private(set) var needsBase: Bool
    public private(set) var lastBaseSeq: UInt64
    /// The partition's progress (events applied) at the last commit; `.max` when unknown.
    public private(set) var progressAtCommit: UInt64 = .max
    public private(set) var inFlight: InFlight?
    /// When the last checkpoint committed, or the partition started here.
    public private(set) var committedAt: Int64
    /// This owner no longer knows what its chain ends with (an answer was lost) or may no longer
    /// write (stale, refused): it takes no more checkpoints. A delta after a lost one would
    /// chain to the last commit it knows of while lacking the changes the lost one captured.
    public private(set) var abandoned = false
    private var attempts: UInt64 = 0

    /// A partition starting from the grant's committed checkpoint.
    public init(committed: CommittedCheckpoint, now: Int64, settings: Settings) {
        self.settings = settings
        self.committed = committed
        needsBase = committed.seq == 0
        lastBaseSeq = committed.seq
        committedAt = now
    }

    /// Decides the next checkpoint, or nil while one is in flight. Marks it in flight: every
    /// `Capture` returned must be answered with `skipped`, `failed`, `answered` or `lost`.
    public mutating func begin(now: Int64, force: Bool = false) -> Capture? {
        guard inFlight == nil, !abandoned else { return nil }
        let seq = committed.seq + 1
        let isBase = needsBase || seq - lastBaseSeq >= settings.deltasPerBase
        let refresh = now - committedAt >= settings.intervalMilliseconds * settings.idleRefreshIntervals
        attempts += 1
        inFlight = InFlight(attempt: attempts, seq: seq, isBase: isBase, since: now)
        return Capture(attempt: attempts, seq: seq, isBase: isBase, previousDigest: committed.digest,
                       skipIfProgressIs: force || isBase || refresh ? nil : progressAtCommit)
    }

    /// The capture found nothing changed: no checkpoint was made.
    public mutating func skipped(_ capture: Capture) {
        guard inFlight?.attempt == capture.attempt else { return }
        inFlight = nil
    }

    /// Capturing, sealing or the local store failed (or the local chain refused a delta): the next
    /// checkpoint starts a new chain.
    public mutating func failed(_ capture: Capture) {
        guard inFlight?.attempt == capture.attempt else { return }
        inFlight = nil
        needsBase = true
    }

    /// The coordinator answered `capture`, whose digest is `digest` and which holds the state at `progress`.
    public mutating func answered(_ capture: Capture, digest: UInt64, progress: UInt64, status: CheckpointStatus, now: Int64) -> Directive {
        guard let sent = inFlight, sent.attempt == capture.attempt else { return .none }  // late, duplicated, or for replaced state
        let seq = sent.seq
        inFlight = nil
        switch status {
        case .committed:
            committed = CommittedCheckpoint(seq: seq, digest: digest)
            needsBase = false
            if sent.isBase { lastBaseSeq = seq }
            progressAtCommit = progress
            committedAt = now
            return .committed(committed)
        case .needBase:
            needsBase = true
            return .none
        case .stale:
            abandoned = true
            return .stopPartition(reason: "checkpoint \(seq) is stale")
        case .refused:
            abandoned = true
            return .stopPartition(reason: "checkpoint \(seq) was refused")
        }
    }

    /// No answer will come (the connection to the coordinator closed, or it took past the
    /// deadline). The checkpoint may or may not have been committed, so this owner cannot know
    /// what the next one chains to: it stops, and the partition's next owner restores whatever
    /// was committed.
    public mutating func lost(_ capture: Capture) -> Directive {
        guard inFlight?.attempt == capture.attempt else { return .none }
        let seq = capture.seq
        inFlight = nil
        abandoned = true
        return .stopPartition(reason: "no answer to checkpoint \(seq)")
    }

    /// The state was rebuilt (another job set, or restored from state older than the committed
    /// checkpoint): what it holds is not the committed chain's, so the next checkpoint is a
    /// base, and the old progress says nothing about it. A checkpoint in flight is forgotten: its
    /// answer no longer concerns this state.
    public mutating func stateReplaced() {
        inFlight = nil
        needsBase = true
        progressAtCommit = .max
    }

    /// The checkpoint the state is exactly at when processing has stopped at `progress`: nothing
    /// in flight, something committed here, and nothing applied since. nil when not certain.
    public func settled(progress: UInt64) -> CommittedCheckpoint? {
        guard inFlight == nil, committed.seq > 0, progress == progressAtCommit else { return nil }
        return committed
    }
}
