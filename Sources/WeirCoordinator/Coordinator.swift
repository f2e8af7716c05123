import Foundation
import Logging
import OrderedCollections
import WeirCodec
import WeirCore
import WeirStore
import WeirWire

/// The coordinator process's shell: it carries out what `LeaseAuthority` decides, owns the
/// partition logs and the job registry, serves workers and producers over the wire protocol and
/// answers the HTTP API's calls (ingest, jobs, queries, status).
public actor Coordinator {
    public let settings: CoordinatorSettings
    let store: CoordinatorStore
    /// One set of partition logs per declared stream.
    var logs: [String: PartitionLogSet] = [:]
    let partitioner: Partitioner
    let logger: Logger
    /// Every reading of time in this coordinator (injected: tests pass a manual clock).
    let clock: any ProcessClock
    var authority: LeaseAuthority
    var sessions: [String: WorkerSession] = [:]
    var jobs: OrderedDictionary<String, (spec: JobSpec, text: String)> = [:]
    /// Per job: the merged rows of its final windows, so queries merge only open windows.
    var finalWindows: [String: FinalWindowCache] = [:]
    /// Bumped whenever a job is registered or cancelled: a query that began before keeps no
    /// windows (they were merged for another instance of the job).
    var finalWindowsGeneration: UInt64 = 0
    /// Per job: the newest window end a `last` answer showed, so the next one asks the
    /// partitions only for windows that can be in it.
    var newestWindowHints: [String: NewestWindowHint] = [:]
    var streams: OrderedDictionary<String, String?> = [:]
    /// Per stream and partition: the offset its holder last fetched from (its progress).
    var consumed: [String: [UInt64]] = [:]
    /// What this coordinator asked workers and waits for (`CoordinatorRequests`).
    let requests: CoordinatorRequests
    /// The checkpoint protocol's decisions: admission, standbys, commits (this actor does the I/O).
    var checkpoints: CheckpointAuthority
    /// The committed checkpoint of each partition.
    var commits: [CheckpointCommit?] { checkpoints.commits }
    var checkpointsCommitted: Int64 { checkpoints.committedCount }
    /// When each partition's checkpoint was last committed (this coordinator's clock).
    var committedAt: [Int: Int64] { checkpoints.committedAt }
    var moves = MoveTimer()
    /// What each unhealthy worker reported with its last heartbeat.
    var workerProblems: [String: String] = [:]
    /// Fenced writes refused: checkpoints from a worker whose epoch is not current.
    var staleCheckpointsRefused: Int64 { checkpoints.staleRefused }
    var eventsAccepted: Int64 = 0
    var eventsRejected: Int64 = 0
    /// Per stream, each idempotent producer's newest admitted batch (from the logs' producer
    /// marks at the first batch after a start): how far back a resend may reach.
    var producerNewest: [String: [UInt64: UInt64]] = [:]
    /// Producer batches the log held already (resends), and batches refused as too old.
    var duplicateBatches: Int64 = 0
    var staleProducerBatches: Int64 = 0
    var logActivity = LogActivity()
    /// Served at `/metrics`.
    public let metrics: CoordinatorMetrics
    var idlePlanner = IdleWatermarkPlanner()
    var advancingIdle = false
    /// The port the wire listener is bound to (differs from settings when 0 was asked).
    public private(set) var boundWirePort = 0

    struct WorkerSession {
        var identity: WorkerIdentity
        var outbound: OutboundQueue
        /// When its last renewal (the heartbeat, every TTL/3) arrived: a worker not heard from
        /// for longer is paused or starved, and would not answer a state request soon.
        var lastHeard: Int64
    }

    /// The threads ingest routing, log reads and query merges run on (off Swift's cooperative pool).
    let dataPath: DataPath

    /// - Parameter dataPath: the caller owns its threads (and shuts them down after `run` returns).
    public init(settings: CoordinatorSettings, dataPath: DataPath, clock: any ProcessClock = SystemClock(),
                logger: Logger = Logger(label: "weir.coordinator")) throws {
        self.settings = settings
        self.dataPath = dataPath
        self.clock = clock
        let metrics = CoordinatorMetrics()
        self.metrics = metrics
        requests = CoordinatorRequests(clock: clock, metrics: metrics)
        self.logger = logger
        store = try CoordinatorStore(directory: settings.dataDirectory + "/meta")
        let partitionCount: Int
        if let existing = try store.partitionCount() {
            guard existing == settings.partitionCount else {
                throw APIError.badRequest("partition_count_mismatch",
                    "\(settings.dataDirectory) was created with \(existing) partitions; start with --partitions \(existing) or use a new data directory")
            }
            partitionCount = existing
        } else {
            try store.setPartitionCount(settings.partitionCount)
            partitionCount = settings.partitionCount
        }
        partitioner = Partitioner(partitionCount: partitionCount)
        let epochs = try store.epochs(partitionCount: partitionCount)
        // After a restart, leases our previous run granted may still be valid at their holders.
        let restarted = epochs.contains { $0 > 0 }
        authority = LeaseAuthority(partitionCount: partitionCount, persistedEpochs: epochs, settings: settings.lease,
                                   startedAt: 0, restarted: restarted)
        let stored = try store.commits(partitionCount: partitionCount)
        checkpoints = CheckpointAuthority(replicationFactor: settings.replicationFactor, commits: stored)
        authority.preferredHolders = stored.map { $0?.replicas ?? [] }
        for (name, key) in try store.streams() { streams[name] = key }
        for (name, text) in try store.jobs() {
            do {
                jobs[name] = (try JobSpecParser.parse(text), text)
            } catch {
                logger.error("stored job \(name) no longer parses and is skipped: \(error)")
            }
        }
        for s in settings.streams where streams[s.name] == nil {
            try store.putStream(name: s.name, keyField: s.keyField)
            streams[s.name] = s.keyField
        }
        for name in streams.keys {
            logs[name] = try PartitionLogSet(root: Self.logRoot(settings, name), partitionCount: partitionCount,
                                          segmentBytesMax: settings.segmentBytesMax, sync: settings.logSync)
            consumed[name] = Array(repeating: 0, count: partitionCount)
        }
    }

    static func logRoot(_ settings: CoordinatorSettings, _ stream: String) -> String {
        settings.dataDirectory + "/log/" + stream
    }

    /// Milliseconds of the monotonic clock since this coordinator started (lease timing only).
    nonisolated func now() -> Int64 { clock.milliseconds() }

    /// Binds the wire listener and serves until cancelled. Call `start` to get the bound port first.
    public func run() async throws {
        let listener = try await WireEndpoint.listen(host: settings.wireHost, port: settings.wirePort)
        boundWirePort = listener.channel.localAddress?.port ?? settings.wirePort
        logger.info("wire protocol listening on \(settings.wireHost):\(boundWirePort), \(partitioner.partitionCount) partitions")
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await self.tickLoop() }
            try await listener.executeThenClose { inbound in
                for try await connection in inbound {
                    group.addTask { await self.serve(connection) }
                }
            }
        }
    }

    private func tickLoop() async throws {
        var ticks = 0
        while !Task.isCancelled {
            try await clock.sleep(for: .milliseconds(50))
            execute(authority.tick(now: now()))
            requests.expireOverdue()
            ticks += 1
            if ticks % 10 == 0 { observeLogs() }
            if ticks % 20 == 0 { Task { await self.advanceIdlePartitions() } }
        }
    }

    /// Notes which partitions received events (for idleness), twice a second.
    private func observeLogs() {
        let now = now()
        for (stream, set) in logs { logActivity.observe(stream: stream, ends: set.logs.map(\.durableEnd), now: now) }
    }

    /// Carries out lease directives in order. An epoch that cannot be persisted must never be
    /// granted, so a failing metadata store stops the process (a restart recovers safely).
    func execute(_ directives: [LeaseAuthority.Directive]) {
        for d in directives {
            switch d {
            case .persistEpoch(let p, let epoch, let holder):
                do {
                    try store.persistEpoch(partition: p, epoch: epoch, holder: holder.description)
                } catch {
                    logger.critical("cannot persist epoch \(epoch) of partition \(p): \(error); stopping before granting it")
                    exit(70)
                }
                Failpoint.hit("coordinator.after_persist_epoch")
            case .grant(let worker, let p, let epoch):
                let copies = commits[p].map { " (checkpoint \($0.seq), stored by \($0.replicas.joined(separator: ", ")))" } ?? ""
                logger.info("grant partition \(p) epoch \(epoch) to \(worker)\(copies)")
                metrics.leaseGranted()
                moves.granted(p, now: now())
                // The new holder restores the committed checkpoint and continues from its offsets.
                for stream in consumed.keys {
                    consumed[stream]?[p] = commits[p]?.offsets.first { $0.stream == stream }?.offset ?? 0
                }
                session(of: worker)?.outbound.send(.grant(LeaseRef(partition: p, epoch: epoch), committed: committedCheckpoint(of: p)))
            case .revoke(let worker, let p, let epoch):
                logger.info("revoke partition \(p) epoch \(epoch) from \(worker)")
                session(of: worker)?.outbound.send(.revoke(LeaseRef(partition: p, epoch: epoch)))
            case .expired(let worker, let p, let epoch, let lastRenewal):
                // A silent owner (paused, cut off) was lost when it was last heard of.
                moves.ownerLost(p, now: lastRenewal, silent: true)
                metrics.leaseExpired()
                logger.warning("lease of partition \(p) epoch \(epoch) held by \(worker) expired without renewal")
                stopWaitingIfLapsed(worker)
            case .notTakenUp(let worker, let p, let epoch):
                moves.grantNotTakenUp(p)
                metrics.leaseExpired()
                stopWaitingIfLapsed(worker)
                logger.warning("grant of partition \(p) epoch \(epoch) to \(worker) was not taken up within \(settings.lease.grantTakeUpMilliseconds) ms (paused or starved); granting it elsewhere")
            }
        }
    }

    func session(of worker: WorkerIdentity) -> WorkerSession? {
        guard let s = sessions[worker.name], s.identity == worker else { return nil }
        return s
    }

    func broadcastJobs() {
        let definitions = jobs.map { JobDefinition(name: $0.key, specText: $0.value.text) }
        for s in sessions.values { s.outbound.send(.jobs(definitions)) }
    }
}
