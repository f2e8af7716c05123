import WeirCodec
import WeirCore
import WeirStore
import WeirWire

extension Worker {
    /// Restores the committed checkpoint of a newly started partition (from this worker's store,
    /// else from a replica through the coordinator, else from older state and the log), then runs it.
    func restoreAndRun(_ lease: LeaseRef, generation: UInt64, committed: CommittedCheckpoint) async {
        standbyRunners[lease.partition] = nil  // the owner now
        let began = clock.elapsed()
        var phases = RestorePhases()
        var restored: [JobCheckpoint] = []
        var replaying = false
        let folds = standbyFolds, store = self.store, p = lease.partition
        // Off this actor: the folds' lock may be held by a bulk thread folding a copy in, and an
        // actor blocked on it would hold up lease renewals (priority inversion on busy cores).
        let found = try? await dataPath.runRestore { () -> ([UInt64], StandbyFolds.Taken?) in
            (folds.keptSeqs(partition: p), committed.seq > 0 ? folds.take(partition: p, committed: committed, store: store) : nil)
        }
        let kept = found?.0 ?? [], taken = found?.1
        if let folded = taken?.committedJobs {
            restored = folded  // the warm standby's copy: at most the newest checkpoints to decode
            phases.source = "standby copy in memory"
            phases.loaded = clock.elapsed()
            phases.decoded = phases.loaded
        } else if committed.seq > 0 {
            phases.source = kept.isEmpty ? "checkpoint chain, no standby copy here" : "checkpoint chain, standby copies of \(kept.map(String.init).joined(separator: ", ")) here"
            var older = OlderState(partition: p)
            if case .older(let seq, let jobs)? = taken { older.offer(jobs, seq: seq, what: "checkpoint \(seq), kept in memory") }
            let state = await loadState(lease, committed, older: older)
            phases.loaded = clock.elapsed()
            guard let state, !Task.isCancelled else {
                if !Task.isCancelled {
                    logger.error("partition \(lease.partition): committed checkpoint \(committed.seq) is not available here or at any replica; giving the partition up")
                    apply(holder.refusedAsStale(partition: lease.partition, epoch: lease.epoch))
                }
                return
            }
            switch state {
            case .chain(let blobs):
                do {
                    restored = try await dataPath.runRestore { try CheckpointChain.rebuild(blobs, partition: lease.partition).jobs }
                } catch {
                    guard !Task.isCancelled, !(error is CancellationError) else { return }
                    logger.error("partition \(lease.partition): checkpoint \(committed.seq) does not rebuild: \(error); giving the partition up")
                    apply(holder.refusedAsStale(partition: lease.partition, epoch: lease.epoch))
                    return
                }
            case .older(let jobs, let what, let distance):
                restored = jobs
                replaying = true
                phases.source = "\(what), \(distance) events to process again"
            }
            phases.decoded = clock.elapsed()
        }
        let specs = jobs
        let retention = settings.retentionMilliseconds
        let checkpoints = settings.checkpointIntervalMilliseconds > 0
        let runner: PartitionRunner
        do {
            let state = restored
            // From older state, a job it lacks starts from offset 0 (`replayDistance` checked the log has it).
            let checkpointed = committed.seq > 0 && !restored.isEmpty && !replaying
            runner = try await dataPath.runRestore {
                try PartitionRunner(lease: lease, jobs: specs, restored: state, newJobsMayStartPastZero: checkpointed, retentionMilliseconds: retention,
                                    checkpoints: checkpoints)
            }
        } catch {
            guard !Task.isCancelled, !(error is CancellationError) else { return }
            logger.error("partition \(lease.partition): cannot restore checkpoint \(committed.seq): \(error); giving the partition up")
            apply(holder.refusedAsStale(partition: lease.partition, epoch: lease.epoch))
            return
        }
        guard isCurrent(lease, generation: generation), !Task.isCancelled else { return }
        running[lease.partition]?.runner = runner
        // State that is not the committed chain's: the next checkpoint starts a new chain.
        if replaying { running[lease.partition]?.owner.stateReplaced() }
        if committed.seq > 0 {
            let ms = (clock.elapsed() - began).wholeMilliseconds
            logger.info("restored partition \(lease.partition) epoch \(lease.epoch) \(replaying ? "towards" : "from") checkpoint \(committed.seq) in \(ms) ms (\(phases.describe(began: began, end: clock.elapsed())))")
        }
        Failpoint.hit("handoff.after_restore")
        await run(lease, generation: generation, runner)
    }

    /// Where a restore's state comes from.
    enum RestoreState {
        /// The committed checkpoint's chain, base first.
        case chain([[UInt8]])
        /// Older state (perhaps none at all), from which processing `distance` events of the log
        /// reaches the committed state.
        case older([JobCheckpoint], what: String, distance: UInt64)
    }

    /// The state to restore committed checkpoint `committed` from: its chain in the local store,
    /// else shipped from a replica (through the coordinator) and stored here first. When no
    /// replica can ship it, older state (`older`, or none) is taken if the log still holds what
    /// it lacks: at once when no replica is connected, when little is to be processed again
    /// while the replicas are silent, and whatever the cost once `stateWaitMilliseconds` is
    /// over. Until then it asks again (a replica may be restarting or paused). nil: no way to
    /// rebuild the committed state.
    func loadState(_ lease: LeaseRef, _ committed: CommittedCheckpoint, older: OlderState) async -> RestoreState? {
        let store = self.store
        let p = lease.partition
        do {
            return .chain(try await dataPath.runRestore { try store.chain(partition: p, upTo: committed.seq, digest: committed.digest) })
        } catch {
            if Task.isCancelled { return nil }
            logger.info("partition \(p): checkpoint \(committed.seq) not usable locally (\(error)); asking a replica")
        }
        var older = older
        var storedLoaded = false  // read only when no replica ships the chain: it costs a decode
        let serving = jobs.map { ReplayBounds.Job(name: $0.spec.name, specDigest: $0.digest, stream: $0.spec.stream) }
        let deadline = now() + settings.stateWaitMilliseconds
        var attempt = 0
        var lastBounds: ReplayBounds?
        while !Task.isCancelled, now() < deadline {
            attempt += 1
            let outcome = await requestState(lease, committed)
            if case .timedOut = outcome {
                logger.warning("partition \(p): no answer to state request \(attempt) within \(WorkerRequests.stateDeadline); asking again")
                continue
            }
            guard case .stateReply(_, _, let blobs, let problem, let bounds)? = outcome.reply ?? nil else { return nil }
            if blobs.isEmpty {
                lastBounds = bounds
                if !storedLoaded {
                    storedLoaded = true
                    await older.loadStored(from: store, below: committed.seq, dataPath: dataPath, logger: logger)
                }
                let limit: UInt64 = problem == StateTransfer.noReplicaConnected ? .max : settings.replayInsteadOfWaitingEvents
                if let choice = older.best(bounds, serving: serving), choice.distance <= limit {
                    logger.warning("partition \(p): no replica ships checkpoint \(committed.seq) (\(problem)); rebuilding from \(choice.what) and the log")
                    return .older(choice.jobs, what: choice.what, distance: choice.distance)
                }
                if attempt == 1 || attempt % 10 == 0 { logger.warning("partition \(p): state request \(attempt) failed: \(problem); asking again") }
                try? await clock.sleep(for: .milliseconds(300))
                continue
            }
            do {
                return .chain(try await dataPath.runRestore {
                    try store.install(chain: blobs, partition: p, seq: committed.seq, digest: committed.digest)
                    return try store.chain(partition: p, upTo: committed.seq, digest: committed.digest)
                })
            } catch {
                if Task.isCancelled { return nil }
                logger.warning("partition \(p): shipped checkpoint chain refused: \(error)")
            }
        }
        // No replica came back in time: older state at any cost beats giving the partition up.
        if !Task.isCancelled, let bounds = lastBounds, let choice = older.best(bounds, serving: serving) {
            logger.warning("partition \(p): no replica shipped checkpoint \(committed.seq) in time; rebuilding from \(choice.what) and the log")
            return .older(choice.jobs, what: choice.what, distance: choice.distance)
        }
        return nil
    }

    /// Asks the coordinator for committed checkpoint `committed`'s chain from a replica.
    func requestState(_ lease: LeaseRef, _ committed: CommittedCheckpoint) async -> RequestCorrelator<RequestID, WireMessage?>.Outcome {
        guard let outbound else { return .failed("not connected") }
        let id = requests.numbers.make()
        return await requests.states.request(id, initial: nil, timeout: WorkerRequests.stateDeadline) {
            outbound.send(.stateRequest(request: id.value, lease: lease, seq: committed.seq, digest: committed.digest))
        }
    }

    /// Standby side: verify and store a partition's checkpoint, then answer.
    func storeReplica(request: UInt64, partition p: Int, epoch: UInt64, seq: UInt64, blob: [UInt8]) {
        standbyRunners[p] = nil  // a newer checkpoint: the rebuilt one is out of date
        let store = self.store
        let queue = outbound
        let log = logger
        let folds = standbyFolds
        Task {
            let status: ReplicaStatus
            var message = ""
            do {
                Failpoint.hit("replica.before_store")
                switch try await dataPath.run({ try store.store(blob, partition: p) }) {
                case .stored: status = .stored
                case .needBase(let why): status = .needBase; message = why
                }
            } catch {
                status = .refused
                message = "\(error)"
                log.warning("refused replica of partition \(p) seq \(seq) epoch \(epoch): \(error)")
            }
            queue?.send(.replicated(request: request, partition: p, seq: seq, status: status, message: message))
            // After the answer, so the owner's checkpoint does not wait for it.
            if status == .stored { try? await dataPath.run { folds.advance(partition: p, blob: blob, store: store) } }
        }
    }

    /// Source side: ship the chain of a committed checkpoint to a new owner (via the coordinator).
    func serveState(request: UInt64, partition p: Int, seq: UInt64, digest: UInt64) {
        let store = self.store
        let queue = outbound
        Task {
            let reply: WireMessage
            do {
                let blobs = try await dataPath.runRestore { try store.chain(partition: p, upTo: seq, digest: digest) }
                reply = .stateReply(request: request, partition: p, blobs: blobs, error: "")
            } catch {
                reply = .stateReply(request: request, partition: p, blobs: [], error: "\(error)")
            }
            if let frame = try? await dataPath.run({ reply.encodedFrame() }) { queue?.send(encoded: frame) }
        }
    }

    /// A job change: the running partition continues with its current state for the jobs that
    /// stay (captured in memory), new jobs start from the beginning of their stream.
    func rebuild(_ r: RunningPartition) {
        guard let old = r.runner else {
            start(r.lease, committed: r.owner.committed)
            return
        }
        r.task.cancel()
        let lease = r.lease
        let generation = nextGeneration
        nextGeneration += 1
        let specs = jobs
        let retention = settings.retentionMilliseconds
        let checkpoints = settings.checkpointIntervalMilliseconds > 0
        let task = Task {
            do {
                let runner = try await dataPath.run {
                    try PartitionRunner(lease: lease, jobs: specs, restored: old.capture(base: true).jobs, newJobsMayStartPastZero: true,
                                        retentionMilliseconds: retention, checkpoints: checkpoints)
                }
                guard self.isCurrent(lease, generation: generation) else { return }
                self.installRunner(lease, generation: generation, runner)
                await self.run(lease, generation: generation, runner)
            } catch {
                // Cancelled: a newer job set or a new grant replaced this rebuild (not a failure).
                guard !Task.isCancelled, !(error is CancellationError) else { return }
                self.logger.error("partition \(lease.partition): rebuilding for the new job set failed: \(error)")
            }
        }
        var owner = r.owner
        owner.stateReplaced()  // another job set: a new chain, and the old runner's progress says nothing of this one's state
        running[lease.partition] = RunningPartition(lease: lease, generation: generation, runner: nil, task: task, owner: owner)
    }

    func installRunner(_ lease: LeaseRef, generation: UInt64, _ runner: PartitionRunner) {
        guard isCurrent(lease, generation: generation) else { return }
        running[lease.partition]?.runner = runner
    }
}

/// When each step of a restore ended, for the log line that says where the time went.
struct RestorePhases {
    /// Where the state came from.
    var source = "checkpoint chain"
    var loaded: Duration?
    var decoded: Duration?

    /// `began` and `end` on the worker's clock.
    func describe(began: Duration, end: Duration) -> String {
        let load = loaded ?? began, decode = decoded ?? load
        return "\(source): load \((load - began).wholeMilliseconds), decode \((decode - load).wholeMilliseconds), engines \((end - decode).wholeMilliseconds) ms"
    }
}

extension Worker {
    /// After a (re)start: folds the chains this worker's store still holds, one partition at a
    /// time on a restore thread, so that a failover granting one of them here soon after starts
    /// from memory instead of reading and decoding the chain while the partition stands still
    /// (most slow failovers under repeated kills went to a worker restarted since it stored the
    /// committed checkpoint). Partitions running here or already folded are skipped, and it
    /// waits while a restore is under way here.
    func warmStoredChains(partitionCount: Int) {
        let store = self.store, folds = standbyFolds
        Task {
            let began = clock.elapsed()
            var folded = 0
            for p in 0..<partitionCount {
                // A restore under way here goes first: it is the one a partition stands still for
                // (waiting at most ~4 s per partition, in case one never finishes).
                var waits = 0
                while waits < 200, running.values.contains(where: { $0.runner == nil }) {
                    try? await clock.sleep(for: .milliseconds(20))
                    waits += 1
                }
                guard running[p] == nil else { continue }
                do {
                    if try await dataPath.runBackground({ try folds.warm(partition: p, store: store) }) != nil { folded += 1 }
                } catch {
                    logger.warning("partition \(p): the stored checkpoint chain does not fold (\(error)); a restore reads it again")
                }
            }
            if folded > 0 { logger.info("folded \(folded) stored checkpoint chain(s) in \((clock.elapsed() - began).wholeMilliseconds) ms") }
        }
    }
}
