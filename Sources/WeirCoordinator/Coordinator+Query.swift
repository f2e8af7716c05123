import WeirCodec
import WeirCore
import WeirWire

extension Coordinator {
    /// Answers a rollup query by asking every partition owner for its partials and merging them.
    public func query(job: String, _ query: RollupQuery) async throws(APIError) -> RollupAnswer {
        let started = clock.elapsed()
        let result = try await answer(job: job, query).answer
        metrics.queryAnswered(job: job, clock.elapsed() - started)
        return result
    }

    /// The merged answer and the partition reports it was built from. A `last` query asks the
    /// partitions only for windows that can be in the answer (`PartitionAsk`, `NewestWindowHint`)
    /// and asks once more, wider, when the answer shows that left something out.
    func answer(job: String, _ query: RollupQuery) async throws(APIError) -> (answer: RollupAnswer, reports: [PartitionReport]) {
        guard let entry = jobs[job] else {
            throw .notFound("unknown_job", "no job named \(job) (jobs: \(jobs.keys.isEmpty ? "none" : jobs.keys.joined(separator: ", ")))")
        }
        guard query.from < query.to else { throw .badRequest("bad_range", "from (\(query.from)) must be before to (\(query.to))") }
        let hint = newestWindowHints[job]
        var ask = PartitionAsk.first(query, spec: entry.spec, hint: hint)
        var built = try await answer(job: job, entry.spec, query, ask: ask)
        if let wider = PartitionAsk.again(after: ask, query: query, spec: entry.spec, hint: hint, answer: built.answer, reports: built.reports) {
            ask = wider
            built = try await answer(job: job, entry.spec, query, ask: ask)
        }
        if let next = NewestWindowHint(spec: entry.spec, query: query, answer: built.answer), jobs[job]?.spec == entry.spec {
            newestWindowHints[job] = next
        }
        return built
    }

    /// The answer to `query` from what `ask` gets of the partitions.
    private func answer(job: String, _ spec: JobSpec, _ query: RollupQuery, ask: PartitionAsk) async throws(APIError) -> (answer: RollupAnswer, reports: [PartitionReport]) {
        let generation = finalWindowsGeneration
        let finals = finalWindows[job].flatMap { $0.spec == spec ? $0 : nil } ?? FinalWindowCache(spec: spec, rowLimit: settings.finalWindowRows)
        var collected = await collectReports(job: job, from: ask.from, to: query.to, last: ask.last, skipFinals: finals?.starts ?? 0..<0)
        let sources = await standIn(for: &collected, job: job, stream: spec.stream, from: ask.from, to: query.to, last: ask.last)
        let reports = collected
        var behind: UInt64 = 0
        let uncommitted = reports.reduce(UInt64(0)) { $0 + ($1.offset > $1.committedOffset ? $1.offset - $1.committedOffset : 0) }
        if let set = logs[spec.stream] {
            for r in reports {
                let end = set.logs[r.lease.partition].durableEnd
                if end > r.offset { behind += end - r.offset }
            }
        }
        // Merging can take a while for big answers: off the actor, so lease renewals never wait for it.
        let partitionCount = partitioner.partitionCount
        let result: Result<(answer: RollupAnswer, finals: FinalWindowCache?), APIError>
        do {
            result = try await dataPath.runInteractive {
                do throws(APIError) {
                    return .success(try RollupAnswerBuilder.build(spec: spec, query: query, reports: reports, partitionCount: partitionCount,
                                                                  finals: finals, mergeEncoded: PartialRowCodec.merge))
                } catch {
                    return .failure(error)
                }
            }
        } catch {
            throw .unavailable("shutting_down", "the coordinator is stopping")
        }
        let built = try result.get()
        if generation == finalWindowsGeneration { keep(built.finals, job: job) }
        var answer = built.answer
        answer.eventsBehind = behind
        answer.eventsUncommitted = uncommitted
        answer.sources = sources
        return (answer, reports)
    }

    /// Every current owner's report of `job`; `skipFinals`: final windows by start that the
    /// owners leave out (this coordinator has them merged).
    func collectReports(job: String, from: Int64, to: Int64, last: Int64, skipFinals: Range<Int64> = 0..<0) async -> [PartitionReport] {
        // Only owners with a current lease: another's report would be refused (fencing), so
        // standbys answer for its partitions instead of the query waiting for it.
        let holders = Set(authority.leases.compactMap { $0?.holder }).filter { session(of: $0) != nil && holdsCurrentLease($0) }
        guard !holders.isEmpty else { return [] }
        let id = requests.numbers.make()
        let outcome = await requests.queries.request(id, initial: QueryGather(waiting: holders),
                                                     timeout: .milliseconds(settings.queryTimeoutMilliseconds)) {
            for h in holders { session(of: h)?.outbound.send(.queryPartials(request: id.value, job: job, from: from, to: to, last: last, skipFinals: skipFinals)) }
        }
        if case .timedOut(let gather) = outcome {
            logger.warning("query \(id) timed out waiting for \(gather.waiting.map(\.description).sorted()); answering without their partitions")
        }
        let reports = outcome.reply?.reports ?? []
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

    /// Keeps a query's final windows for the next queries, unless the job changed meanwhile or
    /// a query that finished first kept newer ones. (A query that began before a job was
    /// registered or cancelled keeps nothing: its caller checks `finalWindowsGeneration`.)
    func keep(_ finals: FinalWindowCache?, job: String) {
        guard let finals, jobs[job]?.spec == finals.spec else { return }
        if let kept = finalWindows[job], kept.spec == finals.spec, kept.starts.upperBound > finals.starts.upperBound { return }
        finalWindows[job] = finals
    }

    func partialsArrived(_ request: UInt64, from identity: WorkerIdentity, _ reports: [PartitionReport]) {
        let now = now()
        requests.queries.update(RequestID(request)) { gather in
            guard gather.waiting.contains(identity) else { return false }
            if let asked = gather.standby {
                gather.reports += reports.filter { asked[$0.lease.partition] == $0.lease.epoch }
            } else {
                gather.reports += reports.filter { authority.isCurrent(identity, $0.lease.partition, $0.lease.epoch, now: now) }
            }
            return gather.stopWaiting(for: identity)
        }
    }

    /// An owner's lease lapsed: queries stop waiting for it once it holds no current lease, as
    /// its late report would be refused.
    func stopWaitingIfLapsed(_ worker: WorkerIdentity) {
        guard !holdsCurrentLease(worker) else { return }
        requests.queries.updateAll { gather in
            gather.standby == nil && gather.waiting.contains(worker) ? gather.stopWaiting(for: worker) : false
        }
    }

    /// True while `worker` holds a lease that is current.
    func holdsCurrentLease(_ worker: WorkerIdentity) -> Bool {
        let now = now()
        return authority.leases.enumerated().contains { p, lease in lease?.holder == worker && authority.isCurrent(worker, p, lease?.epoch ?? 0, now: now) }
    }
}

extension Coordinator {
    /// Fills in partitions whose owner did not answer (moving, failing over, restoring): from
    /// the committed checkpoint at a standby, or — for a partition with no events at all — as
    /// empty. Returns where every answering partition's part came from.
    func standIn(for reports: inout [PartitionReport], job: String, stream: String, from: Int64, to: Int64, last: Int64) async -> [PartitionSource] {
        var sources = reports.map { PartitionSource(partition: $0.lease.partition, source: .primary, ownerEpoch: $0.lease.epoch, stalenessMilliseconds: 0) }
        var answered = Set(reports.map(\.lease.partition))
        for round in 0..<2 {
            // Each missing partition with a committed checkpoint, asked of its `round`-th live replica.
            var asks: [String: [StandbyCheckpoint]] = [:]
            for p in 0..<partitioner.partitionCount where !answered.contains(p) {
                guard let commit = commits[p], commit.seq > 0 else { continue }
                let live = commit.replicas.filter { sessions[$0] != nil }
                guard round < live.count else { continue }
                asks[live[round], default: []].append(StandbyCheckpoint(lease: LeaseRef(partition: p, epoch: commit.epoch),
                                                                        committed: CommittedCheckpoint(seq: commit.seq, digest: commit.digest)))
            }
            guard !asks.isEmpty else { break }
            let id = requests.numbers.make()
            var waiting = Set<WorkerIdentity>(), asked: [Int: UInt64] = [:]
            for (name, checkpoints) in asks {
                guard let s = sessions[name] else { continue }
                waiting.insert(s.identity)
                for c in checkpoints { asked[c.lease.partition] = c.lease.epoch }
            }
            let timeout = min(settings.queryTimeoutMilliseconds, 5_000)
            let outcome = await requests.queries.request(id, initial: QueryGather(waiting: waiting, standby: asked), timeout: .milliseconds(timeout)) {
                for (name, checkpoints) in asks {
                    sessions[name]?.outbound.send(.standbyQuery(request: id.value, job: job, from: from, to: to, last: last, checkpoints: checkpoints))
                }
            }
            let standby = outcome.reply?.reports ?? []
            let now = now()
            for r in standby where !answered.contains(r.lease.partition) {
                answered.insert(r.lease.partition)
                reports.append(r)
                sources.append(PartitionSource(partition: r.lease.partition, source: .standby, ownerEpoch: r.lease.epoch,
                                               stalenessMilliseconds: committedAt[r.lease.partition].map { now - $0 }))
            }
        }
        // A partition that never had an event has nothing to serve: its (empty) part is known.
        if let set = logs[stream] {
            for p in 0..<partitioner.partitionCount where !answered.contains(p) && set.logs[p].durableEnd == 0 && commits[p] == nil {
                let epoch = authority.leases[p]?.epoch ?? authority.persistedEpochs[p]
                reports.append(PartitionReport(lease: LeaseRef(partition: p, epoch: epoch), watermark: .min, offset: 0, accepted: 0,
                                               lateEvents: 0, rejected: 0, lateByWindow: [], rows: []))
                sources.append(PartitionSource(partition: p, source: .committed, ownerEpoch: epoch, stalenessMilliseconds: 0))
            }
        }
        reports.sort { $0.lease.partition < $1.lease.partition }
        return sources.sorted { $0.partition < $1.partition }
    }
}
