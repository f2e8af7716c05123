import Foundation
import Logging
import NIOCore
import WeirCodec
import WeirCore
import WeirStore
import WeirWire

/// The worker process's shell: holds leases through `LeaseHolder`, runs one `PartitionRunner`
/// per valid lease (restored from the coordinator-committed checkpoint), pulls each partition's
/// log from the coordinator, checkpoints every partition to its LMDB store and through the
/// coordinator to a standby, stores the checkpoints of partitions it is the standby of, and
/// serves partial aggregates to queries. Stops work on a partition the moment its lease is no
/// longer valid.
public actor Worker {
    public let settings: WorkerSettings
    public let identity: WorkerIdentity
    let store: CheckpointStore
    let logger: Logger
    /// Every reading of time in this worker (injected: tests pass a manual clock).
    let clock: any ProcessClock
    var holder = LeaseHolder(settings: LeaseSettings())
    var outbound: OutboundQueue?
    var jobs: [WorkerJob] = []
    var running: [Int: RunningPartition] = [:]
    /// Committed state of partitions this worker is the standby of, rebuilt to answer queries
    /// while their owner cannot (see `answerAsStandby`).
    var standbyRunners: [Int: (committed: CommittedCheckpoint, runner: PartitionRunner)] = [:]
    /// The chains this worker stores as a standby, folded as they arrive (failovers restore from them).
    let standbyFolds = StandbyFolds()
    /// Logs when the tick loop below stops running while the process runs.
    let watchdog: StallWatchdog
    /// The committed checkpoint named by each grant, until the lease becomes valid and work starts.
    var grantedCheckpoints: [Int: (epoch: UInt64, committed: CommittedCheckpoint)] = [:]
    /// What this worker asked the coordinator and waits for (`Worker+Requests`).
    let requests: WorkerRequests
    var nextGeneration: UInt64 = 1
    var leaving = false
    var checkpointStats = CheckpointStats()
    /// Why checkpoints fail to be stored here (a full LMDB map, a full disk); nil when the last
    /// one was stored. Reported with every heartbeat: the coordinator shows the worker unhealthy.
    var storeProblem: String?

    struct RunningPartition {
        var lease: LeaseRef
        /// Distinguishes restarts of the same lease (a job change rebuilds the runner).
        var generation: UInt64
        /// Nil while the partition is being restored.
        var runner: PartitionRunner?
        var task: Task<Void, Never>
        /// Where the partition's checkpoint chain stands and what its next checkpoint is.
        var owner: CheckpointOwner
    }

    /// - Parameter dataPath: the threads partitions run on; the caller owns them (and shuts them
    ///   down after `run` returns).
    /// The threads partitions run, restore and answer queries on (off Swift's cooperative pool).
    let dataPath: DataPath

    public init(settings: WorkerSettings, store: CheckpointStore, dataPath: DataPath, clock: any ProcessClock = SystemClock(),
                logger: Logger = Logger(label: "weir.worker")) {
        self.settings = settings
        self.dataPath = dataPath
        self.clock = clock
        self.store = store
        self.logger = logger
        watchdog = StallWatchdog(logger: logger, clock: clock)
        requests = WorkerRequests(clock: clock)
        // A new incarnation per process start: wall-clock nanoseconds order restarts (identity only, never lease timing).
        identity = WorkerIdentity(name: settings.name, incarnation: clock.wallNanoseconds())
    }

    /// Monotonic milliseconds since start: the only clock lease validity is judged by.
    nonisolated func now() -> Int64 { clock.milliseconds() }

    /// Connects, registers and serves until the connection closes (or `leave` completes).
    public func run() async throws {
        let connection = try await WireEndpoint.connect(host: settings.coordinatorHost, port: settings.coordinatorPort)
        logger.info("worker \(identity) connected to \(settings.coordinatorHost):\(settings.coordinatorPort)")
        // Also when the connection ends in an error: pending requests are answered (nil) and the
        // leases dropped, so no partition task waits for a reply that will never come.
        defer { connectionLost() }
        try await connection.executeThenClose { inbound, writer in
            let queue = OutboundQueue()
            self.outbound = queue
            if let token = settings.token { queue.send(.auth(token: token)) }
            queue.send(.hello(worker: identity.name, incarnation: identity.incarnation, cores: ProcessInfo.processInfo.activeProcessorCount))
            defer { queue.finish() }
            watchdog.start()
            defer { watchdog.stop() }
            // Discarding: a task per bulk frame for the connection's whole life, and a plain group
            // would keep every finished one until the connection closes. A child's error ends the
            // connection; the tick loop's end by cancellation (the connection closed) is none.
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { try await queue.drain(into: writer) }
                group.addTask { await self.tickLoop() }
                defer { group.cancelAll() }
                for try await frame in inbound {
                    if frame.isBulk {
                        // Checkpoints and state can be large: decode them off this loop.
                        group.addTask {
                            let message = try await self.dataPath.run { try frame.decode() }
                            await self.handle(message)
                        }
                        continue
                    }
                    handle(try frame.decode())
                    if leaving && holder.leases.isEmpty && running.isEmpty { break }
                }
            }
        }
    }

    /// Asks the coordinator to move every partition away; `run` returns once none is held.
    public func leave() {
        leaving = true
        outbound?.send(.leave)
    }

    /// Renews leases and runs the holder's timers every 50 ms until cancelled.
    private func tickLoop() async {
        var lastSummary = now()
        var reportedTimeouts = 0
        while !Task.isCancelled {
            do { try await clock.sleep(for: .milliseconds(50)) } catch { return }
            watchdog.beat()
            apply(holder.tick(now: now()))
            requests.expireOverdue()
            if now() - lastSummary >= 10_000 {
                lastSummary = now()
                if let line = checkpointStats.summaryAndReset() { logger.info("checkpoints: \(line)") }
                let timedOut = requests.timedOutTotal
                if timedOut > reportedTimeouts {
                    reportedTimeouts = timedOut
                    logger.warning("requests to the coordinator: \(requests.summary)")
                }
            }
        }
    }

    private func connectionLost() {
        apply(holder.disconnected())
        requests.failAll("the connection to the coordinator closed")
        outbound = nil
    }

    func handle(_ message: WireMessage) {
        switch message {
        case .welcome(let ttl, let partitions):
            holder = LeaseHolder(settings: LeaseSettings(ttlMilliseconds: ttl))
            logger.info("registered: \(partitions) partitions, lease TTL \(ttl) ms")
            warmStoredChains(partitionCount: partitions)
        case .jobs(let definitions): jobsChanged(definitions)
        case .grant(let l, let committed):
            // Only the newest grant's checkpoint counts (an older grant can never start).
            if (grantedCheckpoints[l.partition]?.epoch ?? 0) < l.epoch { grantedCheckpoints[l.partition] = (l.epoch, committed) }
            apply(holder.granted(partition: l.partition, epoch: l.epoch, now: now()))
        case .revoke(let l): apply(holder.revoked(partition: l.partition, epoch: l.epoch))
        case .renewReply(let seq, let verdicts):
            apply(holder.renewalAnswered(seq: seq, verdicts: verdicts.map { ($0.lease.partition, $0.lease.epoch, $0.verdict) }, now: now()))
        case .fetchReply(let request, _, _, _):
            requests.fetches.answer(RequestID(request), with: message)
        case .checkpointReply(let lease, _, _, _):
            requests.checkpoints.answer(lease, with: message)
        case .stateReply(let request, _, _, _, _):
            requests.states.answer(RequestID(request), with: message)
        case .replicate(let request, let p, let epoch, let seq, let blob):
            storeReplica(request: request, partition: p, epoch: epoch, seq: seq, blob: blob)
        case .stateRequest(let request, let lease, let seq, let digest):
            serveState(request: request, partition: lease.partition, seq: seq, digest: digest)
        case .queryPartials(let request, let job, let from, let to, let last, let skip):
            let targets = running.values.filter { holder.isValid($0.lease.partition, epoch: $0.lease.epoch, now: now()) }.compactMap(\.runner)
            let queue = outbound
            Task {
                // All partitions at once: each report waits for its runner's current chunk, not for the others'.
                let reports = await withTaskGroup(of: PartitionReport?.self) { group in
                    for runner in targets {
                        group.addTask { try? await self.dataPath.runInteractive({ runner.report(job: job, from: from, to: to, last: last, skipFinals: skip) }) ?? nil }
                    }
                    var out: [PartitionReport] = []
                    for await r in group { if let r { out.append(r) } }
                    return out
                }
                // Encoded on a data-path thread: a big answer must not hold up this connection's event loop.
                let collected = reports
                if let frame = try? await dataPath.runInteractive({ WireMessage.partials(request: request, reports: collected).encodedFrame() }) {
                    queue?.send(encoded: frame)
                }
            }
        case .standbyQuery(let request, let job, let from, let to, let last, let checkpoints):
            answerAsStandby(request: request, job: job, from: from, to: to, last: last, checkpoints: checkpoints)
        case .failure(let error):
            logger.error("coordinator reported \(error.code) (\(error.origin)): \(error.message)")
        default:
            logger.error("unexpected message from the coordinator: \(message)")
        }
    }

    func apply(_ directives: [LeaseHolder.Directive]) {
        for d in directives {
            switch d {
            case .sendRenewal(let seq, let leases):
                outbound?.send(.renew(seq: seq, leases: leases.map { LeaseRef(partition: $0.partition, epoch: $0.epoch) },
                                      problem: storeProblem ?? ""))
            case .start(let p, let epoch):
                if let r = running[p], r.lease.epoch == epoch {
                    resume(r)
                    continue
                }
                guard let granted = grantedCheckpoints[p], granted.epoch == epoch else {
                    // Without the grant's checkpoint the state to restore is unknown: never guess "none".
                    logger.error("partition \(p) epoch \(epoch) became valid without its grant's checkpoint; giving it up")
                    apply(holder.refusedAsStale(partition: p, epoch: epoch))
                    continue
                }
                start(LeaseRef(partition: p, epoch: epoch), committed: granted.committed)
            case .stop(let p, let epoch, let reason):
                if let r = running[p], r.lease.epoch == epoch {
                    r.task.cancel()
                    if reason != .revoked && reason != .leaving { running[p] = nil }
                    logger.info("stopped partition \(p) epoch \(epoch): \(reason.rawValue)")
                }
            case .release(let p, let epoch):
                handOff(LeaseRef(partition: p, epoch: epoch))
            }
        }
    }

    /// Starts a partition: restore the committed checkpoint, then run its jobs from there.
    func start(_ lease: LeaseRef, committed: CommittedCheckpoint) {
        running[lease.partition]?.task.cancel()
        let generation = nextGeneration
        nextGeneration += 1
        let task = Task { await self.restoreAndRun(lease, generation: generation, committed: committed) }
        running[lease.partition] = RunningPartition(
            lease: lease, generation: generation, runner: nil, task: task,
            owner: CheckpointOwner(committed: committed, now: now(), settings: checkpointOwnerSettings))
    }

    /// The lease lapsed for a moment and is valid again (a renewal answer came just late): the
    /// partition continues with the state it has, its loops restarted.
    func resume(_ r: RunningPartition) {
        guard let runner = r.runner else { return }  // still restoring: that task goes on
        r.task.cancel()
        let generation = nextGeneration
        nextGeneration += 1
        // The owner goes on as it is: a checkpoint still in flight stays the one in flight (its
        // answer updates the owner, see `holdsState`), so the new loops' first checkpoint waits
        // for it instead of capturing a delta that would skip the changes it carries.
        let task = Task { await self.run(r.lease, generation: generation, runner) }
        running[r.lease.partition] = RunningPartition(lease: r.lease, generation: generation, runner: runner, task: task, owner: r.owner)
        logger.info("resumed partition \(r.lease.partition) epoch \(r.lease.epoch)")
    }

    /// Runs a ready runner: one fetch loop per stream and the checkpoint loop, until cancelled.
    func run(_ lease: LeaseRef, generation: UInt64, _ runner: PartitionRunner) async {
        let streams = Set(jobs.map(\.spec.stream)).sorted()
        await withTaskGroup(of: Void.self) { group in
            for stream in streams { group.addTask { await self.fetchLoop(lease, runner, stream) } }
            group.addTask { await self.checkpointLoop(lease, generation: generation, runner) }
        }
    }

    func isCurrent(_ lease: LeaseRef, generation: UInt64) -> Bool {
        running[lease.partition].map { $0.lease == lease && $0.generation == generation } ?? false
    }

    private func jobsChanged(_ definitions: [JobDefinition]) {
        var specs: [WorkerJob] = []
        for d in definitions {
            do {
                specs.append(WorkerJob(spec: try JobSpecParser.parse(d.specText), digest: StableHash.hash(Array(d.specText.utf8))))
            } catch {
                logger.error("job \(d.name) from the coordinator does not parse: \(error)")
            }
        }
        guard specs != jobs else { return }
        jobs = specs
        logger.info("jobs: \(specs.map(\.spec.name).joined(separator: ", "))")
        // Jobs that stay keep their state; new ones start from the beginning of their stream.
        for r in running.values { rebuild(r) }
    }
}
