import WeirCodec
import WeirCore
import WeirStore
import WeirWire

extension Worker {
    /// Answers a query for partitions whose owner cannot (they are moving): each from the
    /// committed checkpoint this worker stores as their standby. Rebuilt runners are kept per
    /// (partition, seq), so a query loop during a failover rebuilds each checkpoint once.
    func answerAsStandby(request: UInt64, job: String, from: Int64, to: Int64, last: Int64, checkpoints: [StandbyCheckpoint]) {
        let store = self.store, specs = jobs, retention = settings.retentionMilliseconds, folds = standbyFolds
        var runners: [(StandbyCheckpoint, PartitionRunner?)] = checkpoints.map { c in
            guard let cached = standbyRunners[c.lease.partition], cached.committed == c.committed else { return (c, nil) }
            return (c, cached.runner)
        }
        let queue = outbound
        Task {
            var reports: [PartitionReport] = []
            for i in runners.indices {
                let c = runners[i].0, p = c.lease.partition
                if runners[i].1 == nil {
                    runners[i].1 = try? await dataPath.runInteractive {
                        let restored = try folds.jobs(partition: p, committed: c.committed) ?? {
                            let blobs = try store.chain(partition: p, upTo: c.committed.seq, digest: c.committed.digest)
                            return try CheckpointChain.rebuild(blobs, partition: p).jobs
                        }()
                        return try PartitionRunner(lease: c.lease, jobs: specs, restored: restored, newJobsMayStartPastZero: true,
                                                   retentionMilliseconds: retention, checkpoints: false)
                    }
                    if let runner = runners[i].1 { self.keepStandbyRunner(runner, for: c) }
                }
                guard let runner = runners[i].1 else { continue }  // not stored here: the coordinator tries another replica or reports it missing
                if var report = try? await dataPath.runInteractive({ runner.report(job: job, from: from, to: to, last: last) }) ?? nil {
                    report.committedOffset = report.offset  // everything a standby answers is committed
                    reports.append(report)
                }
            }
            let collected = reports
            if let frame = try? await dataPath.runInteractive({ WireMessage.partials(request: request, reports: collected).encodedFrame() }) {
                queue?.send(encoded: frame)
            }
        }
    }

    func keepStandbyRunner(_ runner: PartitionRunner, for c: StandbyCheckpoint) {
        standbyRunners[c.lease.partition] = (c.committed, runner)
    }
}
