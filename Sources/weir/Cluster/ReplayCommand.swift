import ArgumentParser
import Foundation
import Synchronization
import WeirCodec
import WeirFiles
import WeirCore
import WeirWire

/// `weir replay`: sends a recording to the coordinator over the binary protocol.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay a recorded stream (.zst or NDJSON) into the cluster.",
        discussion: "Without a pace option the recording is sent as fast as the coordinator acknowledges it (--max).")

    @Argument(help: "The recording (.zst from `weir gen`, any .zst of NDJSON, or plain NDJSON).")
    var recording: String

    @Option(help: "The stream to send to (default: the recording's own stream).")
    var stream: String?

    @Option(help: "host:port of the coordinator's binary protocol (its --listen).")
    var coordinator = "127.0.0.1:7400"

    @Option(help: "Events per second, e.g. 200k/s.")
    var rate: String?

    @Option(help: "Event time per wall time, e.g. 10x (needs an indexed recording).")
    var speed: String?

    @Flag(name: .customLong("max"), help: "As fast as possible (the default).")
    var asFastAsPossible = false

    @Option(name: .customLong("batch-bytes"), help: "Bytes of events per message.")
    var batchBytes = 256 << 10

    @Option(help: "Keep the recording's path under this directory (default: $WEIR_RECORDINGS_ROOT, if set).")
    var root: String?

    @Flag(help: "Sample end-to-end latency (send → visible in rollups) and print its percentiles (uses --http).")
    var latency = false

    @Flag(help: "At the end, wait until the cluster caught up and diff every job on the stream against the reference over this recording (uses --http; meaningful when the stream holds only this recording).")
    var verify = false

    @OptionGroup var cluster: ClusterOptions

    @Option(help: "Messages in flight before waiting for acknowledgements.")
    var window = 16

    func run() async throws {
        let recording = try ConfinedPath.resolve(self.recording, root: root ?? ConfinedPath.configuredRoot)
        guard let address = WireEndpoint.parse(coordinator) else { throw fail("--coordinator \(coordinator): expected host:port") }
        let pace = try Pace(rate: rate, speed: speed, max: asFastAsPossible)
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
            throw fail("cannot reach the coordinator at \(coordinator) (\(ConnectFailure.reason(error))); is `weir up` running? set --coordinator to its binary-protocol address")
        }
        let tally = ReplayTally()
        let sampler = latency ? ReplayLatency(client: cluster.client) : nil
        let watcher = sampler.map { s in Task { await s.watch() } }
        defer { watcher?.cancel() }
        let started = ContinuousClock.now
        try await connection.executeThenClose { inbound, outbound in
            try await withThrowingTaskGroup(of: Void.self) { group in
                let token = cluster.token
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
                    guard case .ingestReply(let seq, let accepted, let rejected, let problems, let error) = try frame.decode() else { continue }
                    if let sampler { Task { await sampler.acknowledged(seq: seq) } }
                    if let error { throw fail("coordinator refused the replay: \(error)") }
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
        if tally.acknowledged < tally.sent { throw fail("the connection ended before \(tally.sent - tally.acknowledged) events were acknowledged") }
        if tally.accepted == 0 {
            throw fail("no event of \(recording) was accepted (\(tally.rejected) rejected by the coordinator, \(refused.count) refused here)")
        }
        if let sampler {
            await sampler.drain(seconds: 60)
            print(sampler.summary)
        }
        if verify { try await verifyAgainstReference(recording: recording, stream: streamName) }
    }

    /// `--verify`: every job on the stream, once caught up, against the reference over the recording.
    private func verifyAgainstReference(recording: String, stream: String) async throws {
        let client = cluster.client
        let listed = try await clusterCall { try await client.get("/v1/jobs") }["jobs"] as? [[String: Any]] ?? []
        let specs = try listed.filter { $0["stream"] as? String == stream }.compactMap { $0["spec"] as? String }.map { text in
            do { return try JobSpecParser.parse(text) } catch { throw fail("a job's spec does not parse: \(error)") }
        }
        guard !specs.isEmpty else { throw fail("--verify: no job reads stream \(stream)") }
        let dir = NSTemporaryDirectory() + "weir-replay-verify-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var failed = false
        for spec in specs {
            let reference = try VerifyCommand.reference(spec, input: recording, dir: dir)
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
        if failed { throw ExitCode(1) }
    }
}

/// Counters shared by the replay's sending and receiving tasks.
final class ReplayTally: Sendable {
    private struct State {
        var sent = 0, accepted = 0, rejected = 0, messages = 0, replies = 0, problemsShown = 0
        var sendingDone = false
    }
    private let state = Mutex(State())
    var sent: Int { state.withLock { $0.sent } }
    var accepted: Int { state.withLock { $0.accepted } }
    var rejected: Int { state.withLock { $0.rejected } }
    var acknowledged: Int { state.withLock { $0.accepted + $0.rejected } }
    var problemsShown: Int { state.withLock { $0.problemsShown } }
    var isDone: Bool { state.withLock { $0.sendingDone && $0.replies >= $0.messages } }
    func add(sent n: Int) { state.withLock { $0.sent += n } }
    func add(accepted a: Int, rejected r: Int) { state.withLock { $0.accepted += a; $0.rejected += r; $0.replies += 1 } }
    func finishSending(messages: UInt64) { state.withLock { $0.sendingDone = true; $0.messages = Int(messages) } }
    func showedProblem() { state.withLock { $0.problemsShown += 1 } }
}

/// How fast a replay goes.
enum Pace: Sendable {
    case max
    case rate(eventsPerSecond: Double)
    case speed(factor: Double)

    init(rate: String?, speed: String?, max: Bool) throws {
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

    func wait(sentEvents: Int, batch: ReplayBatcher.Batch, started: ContinuousClock.Instant, firstTime: Int64?) async throws {
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

/// Wall seconds elapsed since `start`.
func secondsSince(_ start: ContinuousClock.Instant) -> Double {
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}
