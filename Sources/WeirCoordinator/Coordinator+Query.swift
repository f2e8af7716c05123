import WeirCodec
import WeirCore
import WeirWire

extension Coordinator {
    struct PendingQuery {
        var waiting: Set<WorkerIdentity>
        var reports: [PartitionReport]
        var done: CheckedContinuation<[PartitionReport], Never>?
    }

    /// Answers a rollup query by asking every partition owner for its partials and merging them.
    public func query(job: String, _ query: RollupQuery) async throws(APIError) -> RollupAnswer {
        let started = ContinuousClock.now
        let result = try await answer(job: job, query).answer
        metrics.queryAnswered(job: job, ContinuousClock.now - started)
        return result
    }

    /// The merged answer and the partition reports it was built from.
    func answer(job: String, _ query: RollupQuery) async throws(APIError) -> (answer: RollupAnswer, reports: [PartitionReport]) {
        guard let entry = jobs[job] else {
            throw .notFound("unknown_job", "no job named \(job) (jobs: \(jobs.keys.isEmpty ? "none" : jobs.keys.joined(separator: ", ")))")
        }
        guard query.from < query.to else { throw .badRequest("bad_range", "from (\(query.from)) must be before to (\(query.to))") }
        let reports = await collectReports(job: job, from: query.from, to: query.to, last: query.lastMilliseconds ?? 0)
        var behind: UInt64 = 0
        let uncommitted = reports.reduce(UInt64(0)) { $0 + ($1.offset > $1.committedOffset ? $1.offset - $1.committedOffset : 0) }
        if let set = logs[entry.spec.stream] {
            for r in reports {
                let end = set.logs[r.lease.partition].durableEnd
                if end > r.offset { behind += end - r.offset }
            }
        }
        // Merging can take a while for big answers: off the actor, so lease renewals never wait for it.
        let spec = entry.spec, partitionCount = partitioner.partitionCount
        let result: Result<RollupAnswer, APIError>
        do {
            result = try await DataPath.runInteractive {
                do throws(APIError) {
                    return .success(try RollupAnswerBuilder.build(spec: spec, query: query, reports: reports, partitionCount: partitionCount))
                } catch {
                    return .failure(error)
                }
            }
        } catch {
            throw .unavailable("shutting_down", "the coordinator is stopping")
        }
        var answer = try result.get()
        answer.eventsBehind = behind
        answer.eventsUncommitted = uncommitted
        return (answer, reports)
    }

    func collectReports(job: String, from: Int64, to: Int64, last: Int64) async -> [PartitionReport] {
        let holders = Set(authority.leases.compactMap { $0?.holder }).filter { session(of: $0) != nil }
        guard !holders.isEmpty else { return [] }
        let request = nextRequest
        nextRequest += 1
        for h in holders { session(of: h)?.outbound.send(.queryPartials(request: request, job: job, from: from, to: to, last: last)) }
        let timeout = settings.queryTimeoutMilliseconds
        let reports = await withCheckedContinuation { (done: CheckedContinuation<[PartitionReport], Never>) in
            pendingQueries[request] = PendingQuery(waiting: holders, reports: [], done: done)
            Task {
                try? await Task.sleep(for: .milliseconds(timeout))
                self.finishQuery(request)
            }
        }
        // Fencing applies to reads too: only the current holder's report of a partition counts.
        var best: [Int: PartitionReport] = [:]
        let now = now()
        for r in reports where authority.leases[r.lease.partition]?.epoch == r.lease.epoch {
            if let holder = authority.leases[r.lease.partition]?.holder, authority.isCurrent(holder, r.lease.partition, r.lease.epoch, now: now) {
                best[r.lease.partition] = r
            }
        }
        return best.keys.sorted().compactMap { best[$0] }
    }

    func partialsArrived(_ request: UInt64, from identity: WorkerIdentity, _ reports: [PartitionReport]) {
        guard var pending = pendingQueries[request], pending.waiting.contains(identity) else { return }
        pending.waiting.remove(identity)
        let now = now()
        pending.reports += reports.filter { authority.isCurrent(identity, $0.lease.partition, $0.lease.epoch, now: now) }
        pendingQueries[request] = pending
        if pending.waiting.isEmpty { finishQuery(request) }
    }

    func finishQuery(_ request: UInt64) {
        guard let pending = pendingQueries.removeValue(forKey: request) else { return }
        if !pending.waiting.isEmpty {
            logger.warning("query \(request) timed out waiting for \(pending.waiting.map(\.description).sorted()); answering without their partitions")
        }
        pending.done?.resume(returning: pending.reports)
    }
}
