import WeirCore

extension Coordinator {
    /// Why a job has (or has no) output, from live facts: its newest windows, every partition's
    /// log, progress, watermark and idleness.
    public func diagnose(job: String) async throws(APIError) -> JobDiagnosis {
        guard let entry = jobs[job] else {
            throw .notFound("unknown_job", "no job named \(job) (jobs: \(jobs.keys.isEmpty ? "none" : jobs.keys.joined(separator: ", ")))")
        }
        let spec = entry.spec
        let (answer, reports) = try await answer(job: job, RollupQuery(lastMilliseconds: 3 * spec.window.lengthMilliseconds))
        let byPartition = Dictionary(reports.map { ($0.lease.partition, $0) }, uniquingKeysWith: { a, _ in a })
        let ends = logs[spec.stream]?.logs.map(\.durableEnd) ?? []
        let now = now()
        let partitions = ends.enumerated().map { p, end in
            OutputDiagnosis.PartitionFacts(
                partition: p, logEnd: end, processed: byPartition[p]?.offset, watermark: byPartition[p]?.watermark ?? .min,
                idleMilliseconds: logActivity.idleMilliseconds(stream: spec.stream, partition: p, now: now),
                excludedAsIdle: isIdle(stream: spec.stream, partition: p, now: now))
        }
        let facts = OutputDiagnosis.Facts(spec: spec, partitions: partitions, answer: answer,
                                          idleAfterMilliseconds: settings.idleAfterMilliseconds)
        return JobDiagnosis(job: job, findings: OutputDiagnosis.diagnose(facts), partitions: partitions, answer: answer)
    }
}
