import Foundation
import NIOCore
import WeirCodec
import WeirCore
import WeirStore
import WeirWire

extension Coordinator {
    /// Serves one accepted connection: a worker (starts with `hello`) or a producer (`ingest`).
    nonisolated func serve(_ connection: WireConnection) async {
        let peer = connection.channel.remoteAddress?.description ?? "?"
        do {
            try await connection.executeThenClose { inbound, outbound in
                var messages = inbound.makeAsyncIterator()
                guard let firstFrame = try await messages.next() else { return }
                var first = try firstFrame.decode()
                if let tokens = settings.tokens {
                    guard case .auth(let token) = first, tokens.allows(token, .write) else {
                        try await outbound.write(WireMessage.failure(APIError(.unauthorized, code: "unauthorized",
                            "this coordinator needs a write token: start workers and replays with --token or WEIR_TOKEN")).encodedFrame())
                        logger.warning("connection from \(peer) refused: no valid write token")
                        return
                    }
                    guard let next = try await messages.next() else { return }
                    first = try next.decode()
                }
                switch first {
                case .hello(let name, let incarnation, _):
                    try await serveWorker(WorkerIdentity(name: name, incarnation: incarnation), &messages, outbound)
                case .ingest:
                    try await serveProducer(first: first, &messages, outbound)
                default:
                    try await outbound.write(WireMessage.failure(.badRequest("protocol", "a connection must start with hello or ingest")).encodedFrame())
                }
            }
        } catch {
            logger.warning("connection from \(peer) closed: \(error)")
        }
    }

    private nonisolated func serveWorker(_ identity: WorkerIdentity,
                                         _ messages: inout NIOAsyncChannelInboundStream<WireFrame>.AsyncIterator,
                                         _ outbound: NIOAsyncChannelOutboundWriter<[UInt8]>) async throws {
        let queue = OutboundQueue()
        await workerJoined(identity, queue)
        defer { queue.finish() }
        // A discarding group: a connection adds a task per fetch and per bulk frame for as long as
        // it lives, and a plain task group keeps every finished child until it is awaited (the
        // heap peaked at 97 MiB instead of 31 in `bench/coordinator-heap.sh` that way). A child's
        // error now closes the connection, as a bad frame on this loop does.
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await queue.drain(into: outbound) }
            defer { group.cancelAll() }
            do {
                while let frame = try await messages.next() {
                    if frame.isBulk {
                        // Partials can be large: decode them on a data-path thread while renewals go on.
                        // A query waits for partials, so they get the interactive thread; checkpoints
                        // (megabytes, 16 partitions a second) queue on the bulk threads instead.
                        group.addTask {
                            let message = frame.kind == WireMessage.partialsKind
                                ? try await self.dataPath.runInteractive { try frame.decode() }
                                : try await self.dataPath.run { try frame.decode() }
                            switch message {
                            case .partials(let request, let reports):
                                await self.partialsArrived(request, from: identity, reports)
                            case .checkpoint(let lease, let seq, let digest, let offsets, let blob, let timing):
                                queue.send(await self.checkpointArrived(identity, lease: lease, seq: seq, digest: digest, offsets: offsets,
                                                                        blob: blob, timing: timing))
                            case .stateReply(let request, _, let blobs, let error, _):
                                await self.stateReplied(request: request, blobs: blobs, error: error)
                            default:
                                throw WireError("unexpected bulk message from worker \(identity)")
                            }
                        }
                        continue
                    }
                    let message = try frame.decode()
                    switch message {
                    case .renew(let seq, let leases, let problem):
                        queue.send(.renewReply(seq: seq, verdicts: await renew(identity, leases, problem: problem)))
                    case .release(let lease):
                        await released(identity, lease)
                    case .leave:
                        await leaving(identity)
                    case .replicated(let request, _, _, let status, let message):
                        await replicated(request: request, status: status, message: message)
                    case .stateRequest(let request, let lease, let seq, let digest):
                        await stateRequested(identity, request: request, lease: lease, seq: seq, digest: digest)
                    case .fetch(let request, let lease, let stream, let offset, let maxBytes):
                        group.addTask {
                            queue.send(await self.fetch(identity, request: request, lease: lease, stream: stream, offset: offset, maxBytes: maxBytes))
                        }
                    default:
                        queue.send(.failure(.badRequest("protocol", "unexpected message from a worker")))
                        throw WireError("unexpected message from worker \(identity)")
                    }
                }
            } catch {
                await workerGone(identity)
                throw error
            }
            await workerGone(identity)
        }
    }

    func workerJoined(_ identity: WorkerIdentity, _ queue: OutboundQueue) {
        logger.info("worker \(identity) connected")
        sessions[identity.name] = WorkerSession(identity: identity, outbound: queue, lastHeard: now())
        queue.send(.welcome(leaseTTLMilliseconds: settings.lease.ttlMilliseconds, partitionCount: partitioner.partitionCount))
        queue.send(.jobs(jobs.map { JobDefinition(name: $0.key, specText: $0.value.text) }))
        execute(authority.workerJoined(identity, now: now()))
    }

    func workerGone(_ identity: WorkerIdentity) {
        guard session(of: identity) != nil else { return }
        logger.info("worker \(identity) disconnected; its partitions move now")
        sessions[identity.name] = nil
        for (p, lease) in authority.leases.enumerated() where lease?.holder == identity {
            moves.ownerLost(p, now: now(), silent: false, readTo: consumed.compactMapValues { p < $0.count ? $0[p] : nil })
        }
        execute(authority.workerDisconnected(identity, now: now()))
        requests.workerGone(identity)
    }

    func renew(_ identity: WorkerIdentity, _ leases: [LeaseRef], problem: String) -> [LeaseVerdict] {
        if session(of: identity) != nil {
            sessions[identity.name]?.lastHeard = now()
            if !problem.isEmpty, workerProblems[identity.name] != problem {
                logger.error("worker \(identity) is unhealthy: \(problem)")
                metrics.checkpointStoreFailed(worker: identity.name)
            }
            workerProblems[identity.name] = problem.isEmpty ? nil : problem
        }
        let verdicts = authority.renew(identity, leases: leases.map { ($0.partition, $0.epoch) }, now: now())
        return zip(leases, verdicts).map { LeaseVerdict(lease: $0, verdict: $1) }
    }

    func released(_ identity: WorkerIdentity, _ lease: LeaseRef) {
        if authority.isCurrent(identity, lease.partition, lease.epoch, now: now()) { moves.released(lease.partition, now: now()) }
        execute(authority.released(identity, partition: lease.partition, epoch: lease.epoch, now: now()))
    }

    func leaving(_ identity: WorkerIdentity) {
        logger.info("worker \(identity) is leaving; revoking its partitions")
        execute(authority.workerLeaving(identity, now: now()))
    }

    /// Fencing for a read of a partition's log; records the holder's progress. nil: refused.
    func admitFetch(_ identity: WorkerIdentity, _ lease: LeaseRef, stream: String, offset: UInt64) -> PartitionLog?? {
        guard authority.isCurrent(identity, lease.partition, lease.epoch, now: now()) else {
            metrics.staleRefused("fetch")
            return nil
        }
        guard let set = logs[stream] else { return .some(nil) }
        consumed[stream]?[lease.partition] = offset
        if let move = moves.read(lease.partition, epoch: lease.epoch, now: now(), stream: stream, offset: offset) {
            metrics.partitionMoved(kind: move.kind, milliseconds: move.milliseconds)
            let lastGrant = move.sinceLastGrant.map { ", the last \($0) ms before this read" } ?? ""
            logger.info("partition \(lease.partition) \(move.kind.replacingOccurrences(of: "_", with: " ")): \(identity) epoch \(lease.epoch) reading \(move.milliseconds) ms after the move began (\(move.grants) grant(s)\(lastGrant))")
        }
        return .some(set.logs[lease.partition])
    }

    /// Answers a fetch: stale when the epoch is not current, else the durable events from
    /// `offset` (waiting up to `fetchWaitMilliseconds` for some to arrive: blocked on the log,
    /// which wakes it when events become durable, so an idle cluster costs no polling).
    nonisolated func fetch(_ identity: WorkerIdentity, request: UInt64, lease: LeaseRef, stream: String, offset: UInt64, maxBytes: Int) async -> WireMessage {
        guard let admitted = await admitFetch(identity, lease, stream: stream, offset: offset) else {
            return .fetchReply(request: request, lease: lease, status: .stale, chunk: .empty)
        }
        guard let log = admitted else {
            return .fetchReply(request: request, lease: lease, status: .outOfRange, chunk: .empty)
        }
        let deadline = clock.elapsed() + .milliseconds(settings.fetchWaitMilliseconds)
        while true {
            do {
                let limit = min(maxBytes, settings.fetchBytesMax)
                let chunk = try await dataPath.run { try log.read(from: offset, maxBytes: limit) }
                if chunk.count > 0 || clock.elapsed() >= deadline || Task.isCancelled {
                    return .fetchReply(request: request, lease: lease, status: .ok, chunk: chunk)
                }
            } catch is CancellationError {
                return .fetchReply(request: request, lease: lease, status: .ok, chunk: .empty)  // the worker's connection closed
            } catch {
                logger.error("fetch of partition \(lease.partition) from \(offset) failed: \(error)")
                return .fetchReply(request: request, lease: lease, status: .outOfRange, chunk: .empty)
            }
            let remaining = deadline - clock.elapsed()
            let clock = self.clock
            let woken = await withTaskGroup(of: Bool.self) { race in
                race.addTask { await log.waitForEvents(from: offset); return !Task.isCancelled }
                race.addTask { try? await clock.sleep(for: remaining); return false }
                let first = await race.next() ?? false
                race.cancelAll()
                return first
            }
            // Events arrived: let a few more commit rounds land before reading, so a busy log is
            // fetched in chunks as large as when fetches polled every 10 ms (fewer, bigger fetches).
            if woken { try? await clock.sleep(for: .milliseconds(min(Self.fetchCoalescingMilliseconds, max(0, (deadline - clock.elapsed()).wholeMilliseconds)))) }
        }
    }

    /// How long a woken fetch waits for more events before reading.
    static let fetchCoalescingMilliseconds: Int64 = 10
}
