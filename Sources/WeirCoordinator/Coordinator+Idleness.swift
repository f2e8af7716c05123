import WeirCore
import WeirStore

extension Coordinator {
    /// True when partition `p` of `stream` has had no events for the idle time.
    func isIdle(stream: String, partition p: Int, now: Int64) -> Bool {
        guard settings.idleAfterMilliseconds > 0, let idle = logActivity.idleMilliseconds(stream: stream, partition: p, now: now) else { return false }
        return idle >= settings.idleAfterMilliseconds
    }

    /// Writes `#watermark` records into idle partitions' logs so they stop holding their jobs'
    /// watermarks back (see `IdleWatermarkPlanner`). Asks each job's owners for their partition
    /// watermarks (an empty range: no rows travel).
    func advanceIdlePartitions() async {
        guard settings.idleAfterMilliseconds > 0, !advancingIdle else { return }
        advancingIdle = true
        defer { advancingIdle = false }
        for (name, entry) in jobs {
            let stream = entry.spec.stream
            guard let set = logs[stream] else { continue }
            let now = now()
            guard (0..<set.logs.count).contains(where: { isIdle(stream: stream, partition: $0, now: now) }) else { continue }
            let reports = await collectReports(job: name, from: .max - 1, to: .max, last: 0)
            let byPartition = Dictionary(reports.map { ($0.lease.partition, $0) }, uniquingKeysWith: { a, _ in a })
            let states = set.logs.enumerated().map { p, log in
                IdleWatermarkPlanner.PartitionState(
                    partition: p, idle: isIdle(stream: stream, partition: p, now: now),
                    caughtUp: byPartition[p].map { $0.offset >= log.durableEnd } ?? false,
                    watermark: byPartition[p]?.watermark)
            }
            let records = idlePlanner.plan(job: name, partitions: states)
            guard !records.isEmpty else { continue }
            var batches: [PartitionLogSet.Batch] = []
            for r in records {
                let line = LogControlRecord.watermark(job: name, to: r.to).line
                batches.append(PartitionLogSet.Batch(partition: r.partition, lines: line, count: 1))
                logActivity.controlRecordAppended(stream: stream, partition: r.partition, partitions: set.logs.count)
            }
            do {
                try await set.appendDurably(batches)
                logger.debug("idle partitions \(records.map(\.partition)) of \(name): watermark moved to \(records.first?.to ?? 0)")
            } catch {
                logger.error("could not write idle watermark records for \(name): \(error)")
            }
        }
    }
}
