import Foundation
import NIOCore
import Synchronization
import WeirCodec
import WeirCore
import WeirFiles
import WeirWire

/// `weir replay`'s client: sends a recording to the coordinator over the binary protocol,
/// paced, with at most `window` messages unacknowledged, as an idempotent producer: when the
/// connection ends early (the coordinator restarted or failed over) it connects again and
/// resends what was not acknowledged, and the log appends each batch once.
package struct ReplayClient: Sendable {
    package struct Settings: Sendable {
        /// The recording (.zst from `weir gen`, any .zst of NDJSON, or plain NDJSON).
        package var recording: String
        /// The stream to send to (nil: the recording's own).
        package var stream: String?
        /// host:port of the coordinator's binary protocol.
        package var coordinator = "127.0.0.1:7400"
        package var pace = Pace.max
        /// Bytes of events per message.
        package var batchBytes = 256 << 10
        /// Messages in flight before waiting for acknowledgements.
        package var window = 16
        /// A write token of the coordinator's `--auth-tokens`.
        package var token: String?
        /// The coordinator's HTTP API (latency sampling and `verify`).
        package var http = ClusterClient(address: "127.0.0.1:7480")
        /// Sample end-to-end latency (send → visible in rollups) and print its percentiles.
        package var sampleLatency = false
        /// At the end, wait until the cluster caught up and diff every job on the stream against the reference.
        package var verify = false
        /// How long to keep reconnecting after the coordinator went away (a restart, a failover)
        /// before giving up; what was not acknowledged is sent again.
        package var reconnectFor: Duration = .seconds(60)
        /// The idempotent producer's id (default: a random one).
        package var producerID: UInt64?

        package init(recording: String) { self.recording = recording }
    }

    package let settings: Settings

    package init(_ settings: Settings) { self.settings = settings }

    /// Sends the whole recording, prints and returns what was sent, accepted and rejected, and
    /// with `verify` checks every job on the stream against the reference.
    /// - Throws: `ToolError` when the file is not events, the coordinator cannot be reached or
    ///   refuses the replay, an event stays unacknowledged, nothing was accepted, or a job differs.
    @discardableResult
    package func run() async throws -> Outcome {
        let recording = settings.recording, coordinator = settings.coordinator, pace = settings.pace
        let batchBytes = settings.batchBytes, window = settings.window, stream = settings.stream
        guard let address = WireEndpoint.parse(coordinator) else { throw fail("--coordinator \(coordinator): expected host:port") }
        let reader: RecordingReader
        do { reader = try RecordingReader(path: recording) } catch { throw fail("\(recording): \(error)") }
        // Not events at all (a text file, random bytes named .zst): say what the file is.
        if let problem = RecordingSniff.problem(reader, path: recording) { throw fail(problem) }
        let batcher: ReplayBatcher
        do {
            batcher = try ReplayBatcher(path: recording, batchBytes: batchBytes, window: window)
        } catch {
            throw fail("\(recording): \(error)")
        }
        guard let streamName = stream ?? reader.stream else {
            throw fail("--stream is needed: \(recording) is \(reader.kind == .plainText ? "plain NDJSON" : "a zstd file without Weir's header"), which does not name its stream")
        }
        if case .speed = pace, batcher.firstTime == nil { throw fail("--speed needs an indexed recording (from `weir gen`)") }
        var connection: WireConnection
        do {
            connection = try await WireEndpoint.connect(host: address.host, port: address.port)
        } catch {
            throw fail("cannot reach the coordinator at \(coordinator) (\(ConnectFailure.reason(error))); is `weir up` running? set --coordinator to its binary-protocol address", origin: .external)
        }
        let producer = ReplayProducer(id: settings.producerID ?? UInt64.random(in: 1...UInt64.max))
        let sampler = settings.sampleLatency ? ReplayLatency(client: settings.http) : nil
        let watcher = sampler.map { s in Task { await s.watch() } }
        defer { watcher?.cancel() }
        // Reads the recording into the producer, at most `window` batches ahead of the acknowledgements.
        let reading = Task {
            do {
                for try await batch in batcher.stream { producer.add(batch) }
                producer.finishProducing()
                return Optional<any Error>.none
            } catch {
                producer.finishProducing()
                return Optional(error)
            }
        }
        defer { reading.cancel() }
        let started = ContinuousClock.now
        var outages: [Double] = []
        // Since when connections end without any batch acknowledged on them (a coordinator that
        // is up but keeps refusing, e.g. with a full disk, is given up on like one that is gone).
        var stalled: (since: ContinuousClock.Instant, acknowledged: Int)?
        while true {
            do {
                try await session(connection, producer, batcher: batcher, stream: streamName, sampler: sampler, started: started)
                break
            } catch let refused as ToolError {
                throw refused
            } catch {
                // The coordinator went away: connect again and resend what it did not acknowledge.
                let lost = ContinuousClock.now
                if let s = stalled, s.acknowledged == producer.acknowledgedEvents {
                    guard lost - s.since < settings.reconnectFor else {
                        throw fail("the coordinator at \(coordinator) acknowledged nothing for \(settings.reconnectFor) (last: \(error)); \(producer.acknowledgedEvents) events were acknowledged before", origin: .external)
                    }
                } else {
                    stalled = (lost, producer.acknowledgedEvents)
                }
                if error is APIError { try await Task.sleep(for: .milliseconds(200)) }  // it is up, but could not take the batch now
                producer.connectionLost()
                printError("replay: the connection to \(coordinator) ended (\(Self.lostReason(error))) with \(producer.acknowledgedEvents) events acknowledged and \(producer.unacknowledgedBatches) batches not; reconnecting to send them again…")
                connection = try await reconnect(address, coordinator: coordinator, since: lost, acknowledged: producer.acknowledgedEvents)
                outages.append(secondsSince(lost))
                printError("replay: connected again after \(String(format: "%.2f", secondsSince(lost))) s")
            }
        }
        if let failure = await reading.value { throw fail("\(recording): \(failure)") }
        let tally = (sent: producer.sentEvents, accepted: producer.accepted, rejected: producer.rejected, acknowledged: producer.acknowledgedEvents)
        let seconds = secondsSince(started)
        let rateText = String(format: "%.0f", Double(tally.sent) / Swift.max(seconds, 1e-9))
        let refused = batcher.refused.all
        let refusedText = refused.isEmpty ? "" : ", refused here \(refused.count) (longer than 1 MiB)"
        print("replayed \(recording) to stream \(streamName): sent \(tally.sent), accepted \(tally.accepted), rejected \(tally.rejected)\(refusedText) in \(String(format: "%.2f", seconds)) s (\(rateText) events/s)")
        if !outages.isEmpty {
            let longest = String(format: "%.2f", outages.max() ?? 0)
            print("rode through \(outages.count) lost connection(s) to the coordinator (longest \(longest) s without one): \(producer.resentBatches) batches sent again, \(producer.duplicateBatches) of them already in the log (counted once)")
        }
        for at in refused.prefix(5) { printError("refused: \(recording): \(at): line_too_long: longer than \(LineSplitter.defaultLineBytesMax) bytes; not sent") }
        if tally.accepted == 0 {
            throw fail("no event of \(recording) was accepted (\(tally.rejected) rejected by the coordinator, \(refused.count) refused here)")
        }
        if let sampler {
            await sampler.drain(seconds: 60)
            print(sampler.summary)
        }
        if settings.verify { try await verifyAgainstReference(recording: recording, stream: streamName) }
        return Outcome(sent: tally.sent, accepted: tally.accepted, rejected: tally.rejected, refusedHere: refused.count,
                       reconnections: outages.count, resentBatches: producer.resentBatches, duplicateBatches: producer.duplicateBatches)
    }

    /// One connection: sends (first whatever an earlier connection left unacknowledged) and
    /// reads acknowledgements until every batch is acknowledged. Throws `ToolError` for a
    /// refusal, anything else when the connection ended first.
    private func session(_ connection: WireConnection, _ producer: ReplayProducer, batcher: ReplayBatcher, stream: String,
                         sampler: ReplayLatency?, started: ContinuousClock.Instant) async throws {
        let pace = settings.pace, token = settings.token
        try await connection.executeThenClose { inbound, outbound in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    if let token { try await outbound.write(WireMessage.auth(token: token).encodedFrame()) }
                    while let (seq, batch, isFirstSend) = await producer.nextToSend() {
                        if isFirstSend {
                            try await pace.wait(sentEvents: producer.sentEvents - batch.events, batch: batch, started: started, firstTime: batcher.firstTime)
                            sampler?.sending(seq: seq)
                        }
                        try await outbound.write(WireMessage.ingest(seq: seq, stream: stream, lines: batch.lines, producer: producer.id).encodedFrame())
                    }
                }
                group.addTask {
                    guard !producer.isDone else { return }
                    for try await frame in inbound {
                        let reply = try frame.decode()
                        if case .failure(let error) = reply { throw Self.refusal(error, acknowledged: producer.acknowledgedEvents) }
                        guard case .ingestReply(let seq, let accepted, let rejected, let problems, let error, let duplicate) = reply else { continue }
                        if let error {
                            // A batch the coordinator could not take now (it is stopping, its disk failed) is sent again.
                            if error.isRetryable { throw error }
                            throw Self.refusal(error, acknowledged: producer.acknowledgedEvents)
                        }
                        guard producer.acknowledged(seq: seq, accepted: accepted, rejected: rejected, duplicate: duplicate) else { continue }
                        if let sampler { Task { await sampler.acknowledged(seq: seq) } }
                        for p in problems.prefix(max(0, 5 - producer.problemsShown)) {
                            printError("rejected: line \(p.line) of a batch: \(p.reason): \(p.message)")
                            producer.showedProblem()
                        }
                        batcher.acknowledge()
                        if let total = batcher.totalEvents { drawProgress(producer.acknowledgedEvents, of: total, label: "replay") }
                        if producer.isDone { return }
                    }
                    throw ConnectionEnded()
                }
                // The first to fail ends the connection and the other task; both ending is success.
                do {
                    while try await group.next() != nil {}
                } catch {
                    group.cancelAll()
                    throw error
                }
            }
        }
    }

    /// Why a connection ended, in a user's words.
    static func lostReason(_ error: any Error) -> String {
        switch error {
        case let ended as ConnectionEnded: ended.description
        case let refused as APIError: "\(refused.message) [\(refused.code)]"
        case is ChannelError: "the connection closed"
        case let io as IOError: "the connection broke: \(String(cString: strerror(io.errnoCode)))"
        default: "\(error)"
        }
    }

    private struct ConnectionEnded: Error, CustomStringConvertible {
        var description: String { "the coordinator closed the connection" }
    }

    /// Connects again, retrying for `settings.reconnectFor` since the connection was lost.
    private func reconnect(_ address: (host: String, port: Int), coordinator: String, since lost: ContinuousClock.Instant,
                           acknowledged: Int) async throws -> WireConnection {
        var pause = Duration.milliseconds(50)
        while true {
            do {
                return try await WireEndpoint.connect(host: address.host, port: address.port)
            } catch {
                guard ContinuousClock.now - lost < settings.reconnectFor else {
                    throw fail("the coordinator at \(coordinator) did not come back within \(settings.reconnectFor) (\(ConnectFailure.reason(error))); \(acknowledged) events were acknowledged, the rest not sent", origin: .external)
                }
                try await Task.sleep(for: pause)
                pause = min(pause * 2, .milliseconds(500))
            }
        }
    }

    /// What a finished replay sent and what the coordinator made of it.
    package struct Outcome: Sendable, Equatable {
        package var sent: Int
        package var accepted: Int
        /// Rejected by the coordinator (malformed events, each with its reason).
        package var rejected: Int
        /// Lines this client did not send (longer than the line limit).
        package var refusedHere: Int
        /// Lost connections ridden through, batches sent again, and those the log held already.
        package var reconnections = 0
        package var resentBatches = 0
        package var duplicateBatches = 0
    }

    /// The coordinator's classified refusal in a user's words: how far the replay got, and
    /// whether sending again can help.
    package static func refusal(_ error: APIError, acknowledged: Int) -> ToolError {
        let advice = error.isRetryable
            ? "the coordinator could not take it now; replay again when it can (\(acknowledged) events were acknowledged before)"
            : "\(acknowledged) events were acknowledged before"
        return fail("coordinator refused the replay: \(error.message) [\(error.code)]; \(advice)",
                    origin: error.origin)
    }

    /// `--verify`: every job on the stream, once caught up, against the reference over the recording.
    private func verifyAgainstReference(recording: String, stream: String) async throws {
        let client = settings.http
        let listed = try await client.get("/v1/jobs")["jobs"] as? [[String: Any]] ?? []
        let specs = try listed.filter { $0["stream"] as? String == stream }.compactMap { $0["spec"] as? String }.map { text in
            do { return try JobSpecParser.parse(text) } catch { throw fail("a job's spec does not parse: \(error)") }
        }
        guard !specs.isEmpty else { throw fail("--verify: no job reads stream \(stream)") }
        let dir = NSTemporaryDirectory() + "weir-replay-verify-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var failed = false
        for spec in specs {
            let reference = try ReferenceRun.run(spec, input: recording, dir: dir)
            let answer = try await client.waitUntilCaughtUp(job: spec.name, seconds: 600)
            let csv = try await client.rollupsCSV(job: spec.name, seconds: 600)
            let accepted = ((answer["events"] as? [String: Any])?["accepted"] as? Int).map(Int64.init) ?? -1
            let result = VerifyReport.compare(job: spec.name, reference: reference.csv, cluster: csv,
                                              referenceAccepted: reference.accepted, clusterAccepted: accepted)
            let verdict = result.passed ? "PASS" : "FAIL"
            print("verify \(spec.name): \(verdict) — \(result.rowsCompared) rows in \(result.windowsCompared) windows compared, \(result.missing.count) missing/different, \(result.extra.count) extra, events \(accepted) vs reference \(reference.accepted)")
            for line in (result.missing.map { "- " + $0 } + result.extra.map { "+ " + $0 }).prefix(5) { print("    \(line)") }
            failed = failed || !result.passed
        }
        if failed { throw fail("the cluster's rollups differ from the reference (see above)", origin: .internal) }
    }
}
