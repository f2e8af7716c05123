import Foundation
import Synchronization
import WeirCodec
import WeirCore
import WeirFiles
import WeirWire

/// `weir replay`'s client: sends a recording to the coordinator over the binary protocol,
/// paced, with at most `window` messages unacknowledged.
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
        let connection: WireConnection
        do {
            connection = try await WireEndpoint.connect(host: address.host, port: address.port)
        } catch {
            throw fail("cannot reach the coordinator at \(coordinator) (\(ConnectFailure.reason(error))); is `weir up` running? set --coordinator to its binary-protocol address", origin: .external)
        }
        let tally = ReplayTally()
        let sampler = settings.sampleLatency ? ReplayLatency(client: settings.http) : nil
        let watcher = sampler.map { s in Task { await s.watch() } }
        defer { watcher?.cancel() }
        let started = ContinuousClock.now
        try await connection.executeThenClose { inbound, outbound in
            try await withThrowingTaskGroup(of: Void.self) { group in
                let token = settings.token
                group.addTask {
                    if let token { try await outbound.write(WireMessage.auth(token: token).encodedFrame()) }
                    var seq: UInt64 = 0
                    for try await batch in batcher.stream {
                        seq += 1
                        try await pace.wait(sentEvents: tally.sent, batch: batch, started: started, firstTime: batcher.firstTime)
                        tally.add(sent: batch.events)
                        sampler?.sending(seq: seq)
                        try await outbound.write(WireMessage.ingest(seq: seq, stream: streamName, lines: batch.lines).encodedFrame())
                    }
                    tally.finishSending(messages: seq)
                }
                for try await frame in inbound {
                    let reply = try frame.decode()
                    if case .failure(let error) = reply { throw Self.refusal(error, acknowledged: tally.acknowledged) }
                    guard case .ingestReply(let seq, let accepted, let rejected, let problems, let error) = reply else { continue }
                    if let sampler { Task { await sampler.acknowledged(seq: seq) } }
                    if let error { throw Self.refusal(error, acknowledged: tally.acknowledged) }
                    for p in problems.prefix(max(0, 5 - tally.problemsShown)) {
                        printError("rejected: line \(p.line) of a batch: \(p.reason): \(p.message)")
                        tally.showedProblem()
                    }
                    tally.add(accepted: accepted, rejected: rejected)
                    batcher.acknowledge()
                    if let total = batcher.totalEvents { drawProgress(tally.acknowledged, of: total, label: "replay") }
                    if tally.isDone { break }
                }
                try await group.waitForAll()
            }
        }
        let seconds = secondsSince(started)
        let rateText = String(format: "%.0f", Double(tally.sent) / Swift.max(seconds, 1e-9))
        let refused = batcher.refused.all
        let refusedText = refused.isEmpty ? "" : ", refused here \(refused.count) (longer than 1 MiB)"
        print("replayed \(recording) to stream \(streamName): sent \(tally.sent), accepted \(tally.accepted), rejected \(tally.rejected)\(refusedText) in \(String(format: "%.2f", seconds)) s (\(rateText) events/s)")
        for at in refused.prefix(5) { printError("refused: \(recording): \(at): line_too_long: longer than \(LineSplitter.defaultLineBytesMax) bytes; not sent") }
        if tally.acknowledged < tally.sent { throw fail("the connection ended before \(tally.sent - tally.acknowledged) events were acknowledged (\(tally.acknowledged) were)", origin: .external) }
        if tally.accepted == 0 {
            throw fail("no event of \(recording) was accepted (\(tally.rejected) rejected by the coordinator, \(refused.count) refused here)")
        }
        if let sampler {
            await sampler.drain(seconds: 60)
            print(sampler.summary)
        }
        if settings.verify { try await verifyAgainstReference(recording: recording, stream: streamName) }
        return Outcome(sent: tally.sent, accepted: tally.accepted, rejected: tally.rejected, refusedHere: refused.count)
    }

    /// What a finished replay sent and what the coordinator made of it.
    package struct Outcome: Sendable, Equatable {
        package var sent: Int
        package var accepted: Int
        /// Rejected by the coordinator (malformed events, each with its reason).
        package var rejected: Int
        /// Lines this client did not send (longer than the line limit).
        package var refusedHere: Int
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

/// Counters shared by the replay's sending and receiving tasks.
package final class ReplayTally: Sendable {
    private struct State {
        package var sent = 0, accepted = 0, rejected = 0, messages = 0, replies = 0, problemsShown = 0
        package var sendingDone = false
    }
    private let state = Mutex(State())
    package var sent: Int { state.withLock { $0.sent } }
    package var accepted: Int { state.withLock { $0.accepted } }
    package var rejected: Int { state.withLock { $0.rejected } }
    package var acknowledged: Int { state.withLock { $0.accepted + $0.rejected } }
    package var problemsShown: Int { state.withLock { $0.problemsShown } }
    package var isDone: Bool { state.withLock { $0.sendingDone && $0.replies >= $0.messages } }
    package func add(sent n: Int) { state.withLock { $0.sent += n } }
    package func add(accepted a: Int, rejected r: Int) { state.withLock { $0.accepted += a; $0.rejected += r; $0.replies += 1 } }
    package func finishSending(messages: UInt64) { state.withLock { $0.sendingDone = true; $0.messages = Int(messages) } }
    package func showedProblem() { state.withLock { $0.problemsShown += 1 } }
}

/// How fast a replay goes.
package enum Pace: Sendable, Equatable {
    case max
    case rate(eventsPerSecond: Double)
    case speed(factor: Double)

    package init(rate: String?, speed: String?, max: Bool) throws {
        let chosen = [rate != nil, speed != nil, max].filter { $0 }.count
        guard chosen <= 1 else { throw fail("choose one of --rate, --speed and --max") }
        if let rate {
            let trimmed = rate.lowercased().replacingOccurrences(of: "/s", with: "")
            guard let n = parseCount(trimmed), n > 0 else { throw fail("--rate \(rate): expected events per second like 200k/s") }
            self = .rate(eventsPerSecond: Double(n))
        } else if let speed {
            guard let f = Double(speed.lowercased().replacingOccurrences(of: "x", with: "")), f > 0 else {
                throw fail("--speed \(speed): expected a factor like 10x")
            }
            self = .speed(factor: f)
        } else {
            self = .max
        }
    }

    package func wait(sentEvents: Int, batch: ReplayBatcher.Batch, started: ContinuousClock.Instant, firstTime: Int64?) async throws {
        let due: Duration
        switch self {
        case .max: return
        case .rate(let perSecond): due = .milliseconds(Int64(Double(sentEvents) / perSecond * 1_000))
        case .speed(let factor):
            guard let t = batch.frameMinTime, let first = firstTime else { return }
            due = .milliseconds(Int64(Double(t - first) / factor))
        }
        let target = started + due
        if target > ContinuousClock.now { try await Task.sleep(until: target, clock: .continuous) }
    }
}
