import WeirCore

/// Rebuilds a partition's state from a chain of checkpoints (a base, then deltas in seq order).
public enum CheckpointChain {
    /// Opens every blob (checksums, partition, decoding) and folds them: per job, the engine
    /// state the chain adds up to, the newest offset, and the final rows of the whole chain.
    /// Final rows of an earlier version of a job (another spec digest) are dropped with it.
    public static func rebuild(_ blobs: [[UInt8]], partition: Int) throws(CheckpointError) -> (header: CheckpointBlob.Header, jobs: [JobCheckpoint]) {
        let fold = try CheckpointFold(chain: blobs, partition: partition)
        return (fold.header, fold.jobs)
    }
}

/// A chain of checkpoints folded so far: what a restore at `header.seq` starts from. Built from
/// a base and extended one delta at a time, so a standby can keep it current as checkpoints
/// arrive and a failover skips reading and decoding the chain.
public struct CheckpointFold: Sendable {
    public let partition: Int
    /// The newest checkpoint folded in.
    public private(set) var header: CheckpointBlob.Header
    /// Per job: the newest checkpoint's offsets and counters, with the chain's final rows (its
    /// engine state is in `engines`).
    private var byName: [String: JobCheckpoint] = [:]
    private var engines: [String: EngineSnapshotFold] = [:]
    private var order: [String] = []

    /// Per job (in the newest checkpoint's order): its state and the chain's final rows.
    public var jobs: [JobCheckpoint] {
        order.compactMap { name in
            guard var job = byName[name], let engine = engines[name] else { return nil }
            job.engine = engine.snapshot
            return job
        }
    }

    /// A checkpoint blob opened (checksums and partition checked, decoded).
    public typealias Opened = (header: CheckpointBlob.Header, jobs: [JobCheckpoint])

    /// Starts a fold at a base checkpoint.
    public init(base blob: [UInt8], partition: Int) throws(CheckpointError) {
        try self.init(opened: CheckpointBlob.open(blob, partition: partition), partition: partition)
    }

    /// Starts a fold at an opened base checkpoint.
    public init(opened: Opened, partition: Int) throws(CheckpointError) {
        guard opened.header.kind == .base else { throw CheckpointError("partition \(partition): chain starts with delta \(opened.header.seq)") }
        self.partition = partition
        header = opened.header
        try take(opened.jobs, delta: false)
    }

    /// A fold of state already whole in memory (an owner's own state at its committed checkpoint
    /// `header`, captured as a base): nothing to decode. Every job's engine must be whole.
    public init(whole jobs: [JobCheckpoint], header: CheckpointBlob.Header, partition: Int) throws(CheckpointError) {
        precondition(header.partition == partition, "a fold of partition \(partition) given the header of partition \(header.partition)")
        self.partition = partition
        self.header = header
        try take(jobs, delta: false)
    }

    /// Folds a whole chain: its base, then each later checkpoint in order.
    public init(chain blobs: [[UInt8]], partition: Int) throws(CheckpointError) {
        guard let first = blobs.first else { throw CheckpointError("partition \(partition): empty checkpoint chain") }
        try self.init(base: first, partition: partition)
        for blob in blobs.dropFirst() { try append(blob) }
    }

    /// Folds in the next checkpoint (a delta adds its final rows and applies its engine changes,
    /// a base starts over). Refused unless it follows the newest one (seq + 1, chained digest);
    /// that refusal leaves the fold as it was. A checkpoint that follows but does not apply
    /// (changes without the state they change) leaves the fold half-applied: discard it.
    public mutating func append(_ blob: [UInt8]) throws(CheckpointError) {
        try append(opened: CheckpointBlob.open(blob, partition: partition))
    }

    /// Folds in the next checkpoint, already opened, in place: its cost is the checkpoint's size,
    /// not the state's (unless another copy of this fold is alive: then the state is copied
    /// once). Errors as `append(_:)`.
    public mutating func append(opened: Opened) throws(CheckpointError) {
        guard opened.header.seq == header.seq + 1, opened.header.previousDigest == header.digest else {
            throw CheckpointError("partition \(partition): checkpoint \(opened.header.seq) does not follow \(header.seq)")
        }
        header = opened.header
        try take(opened.jobs, delta: opened.header.kind == .delta)
    }

    private mutating func take(_ newest: [JobCheckpoint], delta: Bool) throws(CheckpointError) {
        var nextJobs: [String: JobCheckpoint] = [:]
        var nextEngines: [String: EngineSnapshotFold] = [:]
        for job in newest {
            var merged = job
            merged.engine = EngineSnapshot(watermark: .min, maxEventTime: .min, stats: EngineStats(), lateLedger: LateLedger(), cells: [])
            // Taken out of the fold, so that appending to them and applying changes to them do
            // not copy what they hold (the fold is replaced below anyway).
            var earlier = byName.removeValue(forKey: job.name)
            let same = earlier.map { $0.specDigest == job.specDigest } ?? false
            if delta, same, var finals = earlier?.finals {
                earlier = nil
                finals.append(contentsOf: job.finals)
                merged.finals = finals
            }
            do throws(SnapshotMismatch) {
                if job.engine.changes != nil {
                    guard delta, same, var engine = engines.removeValue(forKey: job.name) else {
                        throw SnapshotMismatch("holds changes without the state they change")
                    }
                    try engine.apply(job.engine)
                    nextEngines[job.name] = engine
                } else {
                    nextEngines[job.name] = try EngineSnapshotFold(job.engine)
                }
            } catch {
                throw CheckpointError("checkpoint \(header.seq) of partition \(partition), job \(job.name): \(error.message)")
            }
            nextJobs[job.name] = merged
        }
        byName = nextJobs
        engines = nextEngines
        order = newest.map(\.name)
    }
}
