import Foundation
import Logging
import NIOCore
import WeirCodec
import WeirCore
import WeirWire

/// The worker process's shell: holds leases through `LeaseHolder`, runs one `PartitionRunner`
/// per valid lease, pulls each partition's log from the coordinator and serves partial
/// aggregates to queries. Stops work on a partition the moment its lease is no longer valid.
public actor Worker {
    public let settings: WorkerSettings
    public let identity: WorkerIdentity
    let logger: Logger
    let startedAt = ContinuousClock.now
    var holder = LeaseHolder(settings: LeaseSettings())
    var outbound: OutboundQueue?
    var jobs: [JobSpec] = []
    var running: [Int: RunningPartition] = [:]
    var pendingFetches: [UInt64: CheckedContinuation<WireMessage?, Never>] = [:]
    var nextRequest: UInt64 = 1
    var leaving = false

    struct RunningPartition {
        var lease: LeaseRef
        var runner: PartitionRunner
        var task: Task<Void, Never>
    }

    public init(settings: WorkerSettings, logger: Logger = Logger(label: "weir.worker")) {
        self.settings = settings
        self.logger = logger
        // A new incarnation per process start: wall-clock nanoseconds order restarts (identity only, never lease timing).
        identity = WorkerIdentity(name: settings.name, incarnation: UInt64(Date().timeIntervalSince1970 * 1e9))
    }

    /// Monotonic milliseconds since start: the only clock lease validity is judged by.
    nonisolated func now() -> Int64 {
        let d = ContinuousClock.now - startedAt
        return d.components.seconds * 1_000 + d.components.attoseconds / 1_000_000_000_000_000
    }

    /// Connects, registers and serves until the connection closes (or `leave` completes).
    public func run() async throws {
        let connection = try await WireEndpoint.connect(host: settings.coordinatorHost, port: settings.coordinatorPort)
        logger.info("worker \(identity) connected to \(settings.coordinatorHost):\(settings.coordinatorPort)")
        try await connection.executeThenClose { inbound, writer in
            let queue = OutboundQueue()
            self.outbound = queue
            queue.send(.hello(worker: identity.name, incarnation: identity.incarnation, cores: ProcessInfo.processInfo.activeProcessorCount))
            defer { queue.finish() }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await queue.drain(into: writer) }
                group.addTask { try await self.tickLoop() }
                defer { group.cancelAll() }
                for try await frame in inbound {
                    handle(try frame.decode())
                    if leaving && holder.leases.isEmpty { break }
                }
            }
        }
        connectionLost()
    }

    /// Asks the coordinator to move every partition away; `run` returns once none is held.
    public func leave() {
        leaving = true
        outbound?.send(.leave)
    }

    private func tickLoop() async throws {
        while !Task.isCancelled {
            try await Task.sleep(for: .milliseconds(50))
            apply(holder.tick(now: now()))
        }
    }

    private func connectionLost() {
        apply(holder.disconnected())
        for (_, c) in pendingFetches { c.resume(returning: nil) }
        pendingFetches.removeAll()
        outbound = nil
    }

    func handle(_ message: WireMessage) {
        switch message {
        case .welcome(let ttl, let partitions):
            holder = LeaseHolder(settings: LeaseSettings(ttlMilliseconds: ttl))
            logger.info("registered: \(partitions) partitions, lease TTL \(ttl) ms")
        case .jobs(let definitions): jobsChanged(definitions)
        case .grant(let l): apply(holder.granted(partition: l.partition, epoch: l.epoch, now: now()))
        case .revoke(let l): apply(holder.revoked(partition: l.partition, epoch: l.epoch))
        case .renewReply(let seq, let verdicts):
            apply(holder.renewalAnswered(seq: seq, verdicts: verdicts.map { ($0.lease.partition, $0.lease.epoch, $0.verdict) }, now: now()))
        case .fetchReply(let request, _, _, _):
            pendingFetches.removeValue(forKey: request)?.resume(returning: message)
        case .queryPartials(let request, let job, let from, let to, let last):
            let targets = running.values.filter { holder.isValid($0.lease.partition, epoch: $0.lease.epoch, now: now()) }.map(\.runner)
            let queue = outbound
            Task {
                // All partitions at once: each report waits for its runner's current chunk, not for the others'.
                let reports = await withTaskGroup(of: PartitionReport?.self) { group in
                    for runner in targets {
                        group.addTask { try? await DataPath.runInteractive({ runner.report(job: job, from: from, to: to, last: last) }) ?? nil }
                    }
                    var out: [PartitionReport] = []
                    for await r in group { if let r { out.append(r) } }
                    return out
                }
                // Encoded on a data-path thread: a big answer must not hold up this connection's event loop.
                let collected = reports
                if let frame = try? await DataPath.runInteractive({ WireMessage.partials(request: request, reports: collected).encodedFrame() }) {
                    queue?.send(encoded: frame)
                }
            }
        case .failure(let code, let text):
            logger.error("coordinator reported \(code): \(text)")
        default:
            logger.error("unexpected message from the coordinator: \(message)")
        }
    }

    func apply(_ directives: [LeaseHolder.Directive]) {
        for d in directives {
            switch d {
            case .sendRenewal(let seq, let leases):
                outbound?.send(.renew(seq: seq, leases: leases.map { LeaseRef(partition: $0.partition, epoch: $0.epoch) }))
            case .start(let p, let epoch):
                start(LeaseRef(partition: p, epoch: epoch))
            case .stop(let p, let epoch, let reason):
                if let r = running[p], r.lease.epoch == epoch {
                    r.task.cancel()
                    running[p] = nil
                    logger.info("stopped partition \(p) epoch \(epoch): \(reason.rawValue)")
                }
            case .release(let p, let epoch):
                outbound?.send(.release(LeaseRef(partition: p, epoch: epoch)))
            }
        }
    }

    /// Starts a partition from the beginning of its logs (checkpoints arrive with the next issue).
    private func start(_ lease: LeaseRef) {
        running[lease.partition]?.task.cancel()
        let runner = PartitionRunner(lease: lease, jobs: jobs, retentionMilliseconds: settings.retentionMilliseconds)
        let streams = Set(jobs.map(\.stream)).sorted()
        let task = Task {
            await withTaskGroup(of: Void.self) { group in
                for stream in streams { group.addTask { await self.fetchLoop(lease, runner, stream) } }
            }
        }
        running[lease.partition] = RunningPartition(lease: lease, runner: runner, task: task)
        logger.info("started partition \(lease.partition) epoch \(lease.epoch) (\(jobs.count) jobs)")
    }

    private func jobsChanged(_ definitions: [JobDefinition]) {
        var specs: [JobSpec] = []
        for d in definitions {
            do { specs.append(try JobSpecParser.parse(d.specText)) } catch { logger.error("job \(d.name) from the coordinator does not parse: \(error)") }
        }
        guard specs != jobs else { return }
        jobs = specs
        logger.info("jobs: \(specs.map(\.name).joined(separator: ", "))")
        // Every job starts from the beginning of the log: restart the running partitions.
        for r in running.values { start(r.lease) }
    }
}
