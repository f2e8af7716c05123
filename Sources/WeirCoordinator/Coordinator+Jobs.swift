import WeirCodec
import WeirCore
import WeirStore

extension Coordinator {
    /// Validates and registers a job; resubmitting the identical spec is a no-op.
    public func submitJob(specText: String) throws(APIError) -> JobInfo {
        let spec: JobSpec
        do {
            spec = try JobSpecParser.parse(specText)
        } catch {
            throw .badRequest("bad_job_spec", "\(error)")
        }
        guard streams[spec.stream] != nil else {
            throw .badRequest("unknown_stream", "job \(spec.name) reads stream '\(spec.stream)', which is not declared (declared: \(streams.keys.joined(separator: ", ")))")
        }
        if let existing = jobs[spec.name] {
            guard existing.spec != spec else { return JobInfo(name: spec.name, stream: spec.stream, specText: existing.text) }
            throw .conflict("job_exists", "a different job named \(spec.name) is registered; cancel it first")
        }
        do {
            try store.putJob(name: spec.name, specText: specText)
        } catch {
            throw .unavailable("store_failed", "could not persist job \(spec.name): \(error)")
        }
        jobs[spec.name] = (spec, specText)
        finalWindows[spec.name] = nil
        newestWindowHints[spec.name] = nil
        finalWindowsGeneration += 1
        logger.info("job \(spec.name) registered on stream \(spec.stream)")
        broadcastJobs()
        return JobInfo(name: spec.name, stream: spec.stream, specText: specText)
    }

    public func listJobs() -> [JobInfo] {
        jobs.map { JobInfo(name: $0.key, stream: $0.value.spec.stream, specText: $0.value.text) }
    }

    public func cancelJob(name: String) throws(APIError) {
        guard jobs[name] != nil else { throw .notFound("unknown_job", "no job named \(name) (jobs: \(jobs.keys.joined(separator: ", ")))") }
        do {
            try store.deleteJob(name: name)
        } catch {
            throw .unavailable("store_failed", "could not delete job \(name): \(error)")
        }
        jobs[name] = nil
        finalWindows[name] = nil
        newestWindowHints[name] = nil
        finalWindowsGeneration += 1
        idlePlanner.forget(job: name)
        logger.info("job \(name) cancelled")
        broadcastJobs()
    }

    public func listStreams() -> [StreamInfo] { streams.map { StreamInfo(name: $0.key, keyField: $0.value) } }

    /// Declares a stream (idempotent); its key cannot change once declared, since that would move events between partitions.
    public func declareStream(name: String, keyField: String?) throws(APIError) -> StreamInfo {
        guard name.range(of: "^[a-z0-9][a-z0-9._-]{0,63}$", options: .regularExpression) != nil else {
            throw .badRequest("bad_stream_name", "stream name '\(name)' must match [a-z0-9][a-z0-9._-]*")
        }
        if let existing = streams[name] {
            guard existing == keyField else {
                throw .conflict("stream_exists", "stream \(name) is keyed by \(existing ?? "the whole event"); its key cannot change")
            }
            return StreamInfo(name: name, keyField: keyField)
        }
        do {
            logs[name] = try PartitionLogSet(root: Self.logRoot(settings, name), partitionCount: partitioner.partitionCount,
                                          segmentBytesMax: settings.segmentBytesMax, sync: settings.logSync)
            try store.putStream(name: name, keyField: keyField)
        } catch {
            throw .unavailable("store_failed", "could not create stream \(name): \(error)")
        }
        consumed[name] = Array(repeating: 0, count: partitioner.partitionCount)
        streams[name] = keyField
        return StreamInfo(name: name, keyField: keyField)
    }

    public func clusterStatus() -> ClusterStatus {
        let leases = authority.leases
        let workers = sessions.values.map(\.identity).sorted().map { id in
            var worker = ClusterStatus.Worker(name: id.name, incarnation: id.incarnation,
                                              leaving: !authority.liveWorkers.contains(id),
                                              partitions: leases.indices.filter { leases[$0]?.holder == id })
            worker.problem = workerProblems[id.name]
            return worker
        }
        let t = now()
        let partitions = leases.indices.map { p in
            var info = ClusterStatus.Partition(partition: p, holder: leases[p]?.holder.name, epoch: leases[p]?.epoch ?? authority.persistedEpochs[p],
                                               revoking: leases[p]?.revoking ?? false,
                                               logEnd: logs.values.reduce(0) { $0 + $1.logs[p].durableEnd },
                                               consumed: consumed.values.reduce(0) { $0 + $1[p] })
            if let c = commits[p] {
                info.checkpointSeq = c.seq
                info.checkpointOffset = c.offsets.reduce(0) { $0 + $1.offset }
                info.replicas = c.replicas
            }
            info.checkpointAgeMilliseconds = committedAt[p].map { t - $0 }
            // Across streams, a partition is as idle as its busiest stream.
            info.idleMilliseconds = logs.keys.compactMap { logActivity.idleMilliseconds(stream: $0, partition: p, now: t) }.min()
            return info
        }
        var status = ClusterStatus(workers: workers, partitions: partitions, streams: listStreams(), jobs: Array(jobs.keys),
                                   eventsAccepted: eventsAccepted, eventsRejected: eventsRejected)
        status.checkpointsCommitted = checkpointsCommitted
        status.staleWritesRefused = staleCheckpointsRefused
        status.failoverMilliseconds = moves.failovers
        status.silentFailoverMilliseconds = moves.silentFailovers
        status.failoverWithNewOwnerLostMilliseconds = moves.failoversWithNewOwnerLost
        status.handoffMilliseconds = moves.handoffs
        status.failoverCatchUpMilliseconds = moves.failoverCatchUps
        status.idleAfterMilliseconds = settings.idleAfterMilliseconds
        return status
    }
}
