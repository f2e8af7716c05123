import NIOCore
import WeirCodec
import WeirCore
import WeirStore
import WeirWire

extension Coordinator {
    /// The key field and logs of a declared stream; unknown streams are a user error.
    func streamTarget(_ stream: String) throws(APIError) -> (keyField: String?, logs: PartitionLogSet) {
        guard let key = streams[stream], let set = logs[stream] else {
            let known = streams.keys.joined(separator: ", ")
            throw .notFound("unknown_stream", "stream '\(stream)' is not declared (declared: \(known.isEmpty ? "none" : known))")
        }
        return (key, set)
    }

    /// Counts what a batch added to the log: its events appended now (none of the partitions
    /// whose part the log held already), and its rejected lines unless it was a resend.
    func countIngest(_ routed: RoutedBatches, duplicates: Set<Int>) {
        let appended = routed.batches.reduce(0) { $0 + (duplicates.contains($1.partition) ? 0 : $1.count) }
        let rejectedByReason = duplicates.isEmpty ? routed.rejectedByReason : [:]
        eventsAccepted += Int64(appended)
        eventsRejected += Int64(rejectedByReason.values.reduce(0, +))
        metrics.ingested(stream: routed.stream, accepted: appended, rejectedByReason: rejectedByReason)
        if routed.producer != nil, !duplicates.isEmpty {
            duplicateBatches += 1
            metrics.producerBatch(stream: routed.stream, outcome: "duplicate")
        }
    }

    /// Refuses an idempotent producer's batch older than the producer's newest one minus the
    /// resend window: not a resend but a producer id used again (or a producer gone wrong). A
    /// batch within the window but not newer than the newest is a resend: the log leaves it out.
    func admitProducer(_ batch: ProducerBatch, stream: String, logs: PartitionLogSet) throws(APIError) {
        guard batch.producer != 0, batch.seq != 0 else {
            throw .badRequest("bad_producer", "producer ids and sequences start at 1 (got producer \(batch.producer), sequence \(batch.seq))")
        }
        if producerNewest[stream] == nil { producerNewest[stream] = logs.producerSequences }
        let newest = producerNewest[stream]?[batch.producer] ?? 0
        guard batch.seq + ProducerBatch.resendWindow >= newest else {
            staleProducerBatches += 1
            metrics.producerBatch(stream: stream, outcome: "stale")
            throw .conflict("stale_producer_sequence",
                            "producer \(batch.producer) sent batch \(batch.seq) of stream '\(stream)', but its newest is \(newest): a resend reaches back at most \(ProducerBatch.resendWindow) batches (is the producer id used twice? a new producer takes a new id); not applied")
        }
        // Recorded at admission, in the connection's order: the next batch may arrive before this one is durable.
        producerNewest[stream]?[batch.producer] = max(newest, batch.seq)
    }

    /// Validates, partitions and durably appends an NDJSON body; returns once the accepted
    /// events are fsync'd (and readable by workers). With `producer`, the batch is appended
    /// once however often it is sent (a resend is answered `duplicate`).
    public nonisolated func ingest(stream: String, body: [UInt8], producer: ProducerBatch?) async throws(APIError) -> IngestResult {
        let target = try await streamTarget(stream)
        if let producer { try await admitProducer(producer, stream: stream, logs: target.logs) }
        return try await commit(try await route(body, stream: stream, keyField: target.keyField, producer: producer), to: target.logs)
    }

    /// Validates and partitions a body on a data-path thread.
    nonisolated func route(_ body: [UInt8], stream: String, keyField: String?, producer: ProducerBatch?) async throws(APIError) -> RoutedBatches {
        let partitioner = self.partitioner, lineBytesMax = settings.lineBytesMax, problemsMax = settings.ingestProblemsMax
        let compressed = settings.logCompression
        do {
            return try await dataPath.run {
                let routed = IngestBatcher(router: EventRouter(keyField: keyField, partitioner: partitioner), lineBytesMax: lineBytesMax, problemsMax: problemsMax)
                    .route(body)
                // Frame, compress and checksum here, in parallel, so the log writer thread only writes and syncs.
                let batches = routed.lines.indices.filter { routed.counts[$0] > 0 }
                    .map { PartitionLogSet.Batch(partition: $0, lines: routed.lines[$0], count: routed.counts[$0], compressed: compressed,
                                                 producer: producer.map { ($0.producer, $0.seq) }) }
                return RoutedBatches(stream: stream, batches: batches, accepted: routed.accepted, rejected: routed.rejected,
                                     problems: routed.problems, rejectedByReason: routed.rejectedByReason, producer: producer)
            }
        } catch {
            throw .unavailable("shutting_down", "the coordinator is stopping")
        }
    }

    /// Valid events framed per partition, plus what was rejected.
    struct RoutedBatches: Sendable {
        var stream: String
        var batches: [PartitionLogSet.Batch]
        var accepted: Int
        var rejected: Int
        var problems: [IngestProblemInfo]
        var rejectedByReason: [String: Int]
        var producer: ProducerBatch?
    }

    nonisolated func commit(_ routed: RoutedBatches, to logs: PartitionLogSet) async throws(APIError) -> IngestResult {
        try await awaitDurable(routed, logs.enqueue(routed.batches))
    }

    /// Waits until enqueued events are durable, then counts and answers them.
    nonisolated func awaitDurable(_ routed: RoutedBatches, _ waiter: PartitionLogSet.DurabilityWaiter) async throws(APIError) -> IngestResult {
        let duplicates: Set<Int>
        do {
            duplicates = try await waiter.wait()
        } catch {
            logger.error("partition log append failed: \(error)")
            throw .unavailable("log_write_failed", "the events could not be made durable (\(error)); nothing of this request was acknowledged, retry later")
        }
        await countIngest(routed, duplicates: duplicates)
        return IngestResult(accepted: routed.accepted, rejected: routed.rejected, problems: routed.problems, duplicate: !duplicates.isEmpty)
    }

    /// Serves a producer connection: `ingest` messages, several committing at once, each
    /// answered by `ingestReply` with the same sequence number once durable.
    nonisolated func serveProducer(first: WireMessage,
                                   _ messages: inout NIOAsyncChannelInboundStream<WireFrame>.AsyncIterator,
                                   _ outbound: NIOAsyncChannelOutboundWriter<[UInt8]>) async throws {
        let queue = OutboundQueue()
        var targets: [String: (keyField: String?, logs: PartitionLogSet)] = [:]
        try await withThrowingTaskGroup(of: Void.self) { outer in
            outer.addTask { try await queue.drain(into: outbound) }
            try await withThrowingTaskGroup(of: Void.self) { commits in
                var inFlight = 0
                var next: WireMessage? = first
                while let message = next {
                    next = nil
                    guard case .ingest(let seq, let stream, let lines, let producerID) = message else {
                        queue.send(.failure(.badRequest("protocol", "a producer connection carries only ingest messages")))
                        break
                    }
                    let producer = producerID == 0 ? nil : ProducerBatch(producer: producerID, seq: seq)
                    let found: (keyField: String?, logs: PartitionLogSet)
                    let routed: RoutedBatches
                    do throws(APIError) {
                        if let cached = targets[stream] {
                            found = cached
                        } else {
                            found = try await streamTarget(stream)
                            targets[stream] = found
                        }
                        if let producer { try await admitProducer(producer, stream: stream, logs: found.logs) }
                        routed = try await route(lines, stream: stream, keyField: found.keyField, producer: producer)
                    } catch {
                        queue.send(.ingestReply(seq: seq, accepted: 0, rejected: 0, problems: [], error: error))
                        next = try await messages.next()?.decode()
                        continue
                    }
                    // Backpressure: at most `ingestInFlightMax` requests of this producer wait for their fsync.
                    if inFlight >= settings.ingestInFlightMax {
                        _ = try await commits.next()
                        inFlight -= 1
                    }
                    inFlight += 1
                    // Enqueued here, in message order, so the producer's events keep their order in the log.
                    let waiter = found.logs.enqueue(routed.batches)
                    commits.addTask {
                        do throws(APIError) {
                            let result = try await self.awaitDurable(routed, waiter)
                            queue.send(.ingestReply(seq: seq, accepted: result.accepted, rejected: result.rejected,
                                                    problems: result.problems, error: nil, duplicate: result.duplicate))
                        } catch {
                            queue.send(.ingestReply(seq: seq, accepted: 0, rejected: 0, problems: [], error: error))
                        }
                    }
                    next = try await messages.next()?.decode()
                }
                try await commits.waitForAll()
            }
            queue.finish()
            try await outer.waitForAll()
        }
    }
}
