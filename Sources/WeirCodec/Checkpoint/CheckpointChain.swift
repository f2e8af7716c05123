import WeirCore

/// Rebuilds a partition's state from a chain of checkpoints (a base, then deltas in seq order).
public enum CheckpointChain {
    /// Opens every blob (checksums, partition, decoding) and folds them: per job, the newest
    /// checkpoint's engine state and offset, with the final rows of the whole chain. Final rows of
    /// an earlier version of a job (another spec digest) are dropped with it.
    public static func rebuild(_ blobs: [[UInt8]], partition: Int) throws(CheckpointError) -> (header: CheckpointBlob.Header, jobs: [JobCheckpoint]) {
        guard !blobs.isEmpty else { throw CheckpointError("partition \(partition): empty checkpoint chain") }
        var jobs: [String: JobCheckpoint] = [:]
        var order: [String] = []
        var header: CheckpointBlob.Header?
        for (i, blob) in blobs.enumerated() {
            let opened = try CheckpointBlob.open(blob, partition: partition)
            if i == 0 {
                guard opened.header.kind == .base else { throw CheckpointError("partition \(partition): chain starts with delta \(opened.header.seq)") }
            } else if let previous = header, opened.header.seq != previous.seq + 1 || opened.header.previousDigest != previous.digest {
                throw CheckpointError("partition \(partition): checkpoint \(opened.header.seq) does not follow \(previous.seq)")
            }
            header = opened.header
            var next: [String: JobCheckpoint] = [:]
            order = opened.jobs.map(\.name)
            for job in opened.jobs {
                var merged = job
                if let earlier = jobs[job.name], earlier.specDigest == job.specDigest, opened.header.kind == .delta {
                    merged.finals = earlier.finals + job.finals
                }
                next[job.name] = merged
            }
            jobs = next
        }
        guard let header else { throw CheckpointError("partition \(partition): empty checkpoint chain") }
        return (header, order.compactMap { jobs[$0] })
    }
}
