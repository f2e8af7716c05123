import WeirCore

extension Coordinator {
    /// `/metrics`: sets the gauges that describe live state (partitions' progress, lag,
    /// idleness and per-job watermarks and event counts, asked from the owners with an empty
    /// range so no rows travel), then returns the whole registry as Prometheus text.
    public func metricsText() async -> String {
        let now = now()
        metrics.gauge("weir_workers", [], Int64(sessions.count))
        for name in sessions.keys {
            // 0 while the worker reports a problem with its checkpoint store (see /v1/cluster for the reason).
            metrics.gauge("weir_worker_healthy", [("worker", name)], workerProblems[name] == nil ? 1 : 0)
        }
        for (stream, set) in logs {
            for (p, log) in set.logs.enumerated() {
                let labels = [("stream", stream), ("partition", String(p))]
                let end = log.durableEnd, done = consumed[stream]?[p] ?? 0
                metrics.gauge("weir_partition_log_end", labels, Int64(end))
                metrics.gauge("weir_partition_events_processed", labels, Int64(done))
                metrics.gauge("weir_partition_lag_events", labels, Int64(end > done ? end - done : 0))
                metrics.gauge("weir_partition_idle", labels, isIdle(stream: stream, partition: p, now: now) ? 1 : 0)
            }
        }
        for (p, lease) in authority.leases.enumerated() {
            metrics.gauge("weir_partition_epoch", [("partition", String(p))], Int64(lease?.epoch ?? authority.persistedEpochs[p]))
        }
        for name in Array(jobs.keys) {
            let reports = await collectReports(job: name, from: .max - 1, to: .max, last: 0)
            var accepted: Int64 = 0, late: Int64 = 0, rejected: Int64 = 0, filtered: Int64 = 0
            for r in reports {
                accepted += r.accepted; late += r.lateEvents; rejected += r.rejected; filtered += r.filtered
                if r.watermark > .min {
                    metrics.gauge("weir_partition_watermark_ms", [("job", name), ("partition", String(r.lease.partition))], r.watermark)
                }
            }
            for (outcome, n) in [("added", accepted), ("late", late), ("rejected", rejected), ("filtered", filtered)] {
                metrics.gauge("weir_job_events", [("job", name), ("outcome", outcome)], n)
            }
            metrics.gauge("weir_job_partitions_reporting", [("job", name)], Int64(reports.count))
            // Merged rows of final windows kept for queries (bounded by --final-window-rows).
            metrics.gauge("weir_query_final_window_rows", [("job", name)], Int64(finalWindows[name]?.rowCount ?? 0))
        }
        return metrics.text()
    }
}
