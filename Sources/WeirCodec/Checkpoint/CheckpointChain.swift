import WeirCore

/// Rebuilds a partition's state from a chain of checkpoints (a base, then deltas in seq order).
public enum CheckpointChain {
    /// Opens every blob (checksums, partition, decoding) and folds them: per job, the newest
    /// checkpoint's engine state and offset, with the final rows of the whole chain. Final rows of
    /// an earlier version of a job (another spec digest) are dropped with it.
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
    private var byName: [String: JobCheckpoint] = [:]
    private var order: [String] = []
    /// False while the newest checkpoint was opened without its engine snapshots (in the middle
    /// of folding a chain, where the next checkpoint replaces them).
    public private(set) var hasEngines: Bool

    /// Per job (in the newest checkpoint's order): its newest state and the chain's final rows.
    public var jobs: [JobCheckpoint] {
        precondition(hasEngines, "partition \(partition): fold at checkpoint \(header.seq) was opened without its engine snapshots")
        return order.compactMap { byName[$0] }
    }

    /// A checkpoint blob opened (checksums and partition checked, decoded).
    public typealias Opened = (header: CheckpointBlob.Header, jobs: [JobCheckpoint])

    /// Starts a fold at a base checkpoint.
    public init(base blob: [UInt8], partition: Int) throws(CheckpointError) {
        try self.init(opened: CheckpointBlob.open(blob, partition: partition), partition: partition)
    }

    /// Starts a fold at an opened base checkpoint (`engines`: opened with its engine snapshots).
    public init(opened: Opened, partition: Int, engines: Bool = true) throws(CheckpointError) {
        guard opened.header.kind == .base else { throw CheckpointError("partition \(partition): chain starts with delta \(opened.header.seq)") }
        self.partition = partition
        header = opened.header
        hasEngines = engines
        take(opened.jobs, delta: false)
    }

    /// Folds a whole chain: its base, then each later checkpoint in order. Only the newest
    /// checkpoint's engine snapshots are decoded (each checkpoint carries the whole open state).
    public init(chain blobs: [[UInt8]], partition: Int) throws(CheckpointError) {
        guard let first = blobs.first else { throw CheckpointError("partition \(partition): empty checkpoint chain") }
        let single = blobs.count == 1
        try self.init(opened: CheckpointBlob.open(first, partition: partition, engines: single), partition: partition, engines: single)
        try append(contentsOf: blobs.dropFirst())
    }

    /// Folds in the next checkpoint (a delta adds its final rows, a base starts over). Refused,
    /// leaving the fold as it was, unless it follows the newest one (seq + 1, chained digest).
    public mutating func append(_ blob: [UInt8]) throws(CheckpointError) {
        try append(opened: CheckpointBlob.open(blob, partition: partition))
    }

    /// Folds in the next checkpoints in order, decoding the engine snapshots of the last only.
    public mutating func append(contentsOf blobs: some Collection<[UInt8]>) throws(CheckpointError) {
        var left = blobs.count
        for blob in blobs {
            left -= 1
            try append(opened: CheckpointBlob.open(blob, partition: partition, engines: left == 0), engines: left == 0)
        }
    }

    /// Folds in the next checkpoint, already opened (`engines`: with its engine snapshots).
    public mutating func append(opened: Opened, engines: Bool = true) throws(CheckpointError) {
        guard opened.header.seq == header.seq + 1, opened.header.previousDigest == header.digest else {
            throw CheckpointError("partition \(partition): checkpoint \(opened.header.seq) does not follow \(header.seq)")
        }
        header = opened.header
        hasEngines = engines
        take(opened.jobs, delta: opened.header.kind == .delta)
    }

    private mutating func take(_ newest: [JobCheckpoint], delta: Bool) {
        var next: [String: JobCheckpoint] = [:]
        for job in newest {
            var merged = job
            if delta, let earlier = byName[job.name], earlier.specDigest == job.specDigest {
                merged.finals = earlier.finals + job.finals
            }
            next[job.name] = merged
        }
        byName = next
        order = newest.map(\.name)
    }
}
