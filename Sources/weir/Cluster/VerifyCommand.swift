import ArgumentParser
import Foundation
import WeirCodec
import WeirCore
import WeirRunner

/// `weir verify`: replays a recording into a cluster it starts — optionally while killing and
/// pausing workers on a seeded schedule — then diffs every rollup against the reference
/// implementation over the same recording and prints a pass/fail report.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Replay a recording into a local cluster (optionally with chaos) and check every rollup against the reference.",
        discussion: """
            Starts a coordinator and --workers workers on loopback, submits the jobs, replays the recording \
            and, with --chaos, kills (-9) and pauses (SIGSTOP) random workers, or adds and removes workers \
            (churn), on a seeded schedule while it runs. When the replay is done and every partition has caught up, each job's rollups (CSV) are \
            compared row by row with `weir run --reference` over the same recording.
            Example: weir verify rec.zst --job jobs/clicks-per-page.yaml --chaos kill=2s,pause=7s --seed 1
            """)

    @Argument(help: "A recording (.zst) made by `weir gen` or `weir record`.")
    var recording: String

    @Option(name: .customLong("job"), help: "A job spec to check (repeatable; default: every jobs/*.yaml on the recording's stream).")
    var jobs: [String] = []

    @Option(help: "Chaos while replaying: kill=DUR (mean time between kill -9s), pause=DUR (between pauses), pause-for=DUR, restart-after=DUR, churn=DUR (between a new worker joining and a running one leaving, alternately).")
    var chaos: String?

    @Option(help: "Crash points to sweep on worker w1, one after the other (comma-separated; see the failpoint list in docs/testing.md).")
    var failpoints: String?

    @Option(name: .customLong("crash-coordinator"), help: "Coordinator crash points to sweep, e.g. coordinator.after_commit@5,coordinator.after_persist_epoch@2 (the recording is replayed before the jobs are submitted, so the coordinator crashes while workers process it).")
    var crashCoordinator: String?

    @Option(help: "Seed of the chaos schedule (same seed, same schedule).")
    var seed: UInt64 = 1

    @Option(help: "Worker processes.")
    var workers = 3

    @Option(help: "Partitions.")
    var partitions = 16

    @Option(help: "Field the stream is partitioned by (empty: hash of the whole event).")
    var key = "user"

    @Option(help: "Replay rate, e.g. 50k/s, or max (as fast as the cluster acknowledges).")
    var rate = "50k/s"

    @Option(help: "Copies of each partition's checkpoints (owner + standbys): 2 gives every partition a standby, 3 two (an owner and a standby may fail together), 1 makes a new owner fetch the state from the old one when it comes back (cold restore).")
    var replication = 2

    @Option(name: .customLong("lease-ttl"), help: "Lease TTL of the cluster (a pause longer than this moves partitions).")
    var leaseTTL = "2s"

    @Option(name: .customLong("checkpoint-interval"), help: "Checkpoint interval of the workers.")
    var checkpointInterval = "1s"

    @Option(help: "The workers' retention of final windows, e.g. 2m (default: theirs, 1h). Windows they may have dropped by the end are left out of the comparison; the report says from where it compared.")
    var retention: String?

    @Option(name: .customLong("segment-size"), help: "The coordinator's partition log segment size, e.g. 4m (default: its own, 64m); smaller segments are truncated sooner behind committed checkpoints.")
    var segmentSize: String?

    @Option(name: .customLong("data-dir"), help: "Where the cluster keeps its data and logs (default: a new temporary directory).")
    var dataDir: String?

    @Option(name: .customLong("report"), help: "Also write the report as JSON to this file.")
    var reportPath: String?

    @Flag(help: "Keep the data directory even when the run passes.")
    var keep = false

    func run() async throws {
        let plan = try chaos.map(ChaosPlan.parse) ?? .none
        let points = try failpoints.map(FailpointSweep.parse) ?? []
        let coordinatorPoints = try crashCoordinator.map(CoordinatorCrashes.parse) ?? []
        guard (1...16).contains(workers) else { throw fail("--workers must be 1...16") }
        guard (1...min(8, workers)).contains(replication) else { throw fail("--replication must be 1...\(min(8, workers)) (no more copies than workers)") }
        guard FileManager.default.fileExists(atPath: recording) else { throw fail("recording \(recording) does not exist") }
        let retentionMs = try retention.map { text in
            guard let ms = DurationText.milliseconds(text), ms > 0 else { throw fail("--retention \(text): expected a duration such as 2m") }
            return ms
        }
        let specs = try loadJobs()
        let stream = specs[0].spec.stream
        let dir = dataDir ?? NSTemporaryDirectory() + "weir-verify-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir + "/logs", withIntermediateDirectories: true)

        say("reference: running \(specs.count) job(s) over \(recording) with the reference implementation…")
        let input = recording
        let expected = try await withThrowingTaskGroup(of: (String, ReferenceResult).self) { group in
            for s in specs {
                let spec = s.spec
                group.addTask { (spec.name, try Self.reference(spec, input: input, dir: dir)) }
            }
            var out: [String: ReferenceResult] = [:]
            for try await (name, result) in group { out[name] = result }
            return out
        }

        let cluster = LocalCluster(dir: dir, workers: workers, partitions: partitions, stream: stream, key: key,
                                   leaseTTL: leaseTTL, checkpointInterval: checkpointInterval, replication: replication,
                                   retention: retention, segmentSize: segmentSize)
        defer { cluster.stop() }
        let sweep = points.isEmpty ? nil : FailpointSweep(worker: cluster.workerProcesses[0], points: points)
        try await cluster.start(beforeWorkers: { sweep?.install() })
        say("cluster: coordinator + \(workers) workers, \(partitions) partitions, HTTP \(cluster.http); logs in \(dir)/logs")
        let crashes = coordinatorPoints.isEmpty ? nil : CoordinatorCrashes(points: coordinatorPoints)
        // With coordinator crashes the whole recording is ingested first (a producer does not
        // survive its coordinator's death); the crashes then happen while the workers process it.
        if crashes == nil { try await submit(specs, cluster) }
        let epochWatch = Task { await crashes?.watchEpochs(cluster.client) }
        defer { epochWatch.cancel() }

        let started = ContinuousClock.now
        let pace = rate == "max" ? ["--max"] : ["--rate", rate]
        let replay = ChildProcess(name: "replay", arguments: ["replay", recording, "--stream", stream, "--coordinator", cluster.wire] + pace,
                                  logPath: dir + "/logs/replay.log", restart: false)
        replay.onExit { _ in }  // its status is checked below
        try replay.start()
        let driver = ChaosDriver(plan: plan, workers: cluster.workerProcesses, seed: seed, addWorker: cluster.addWorker)
        let chaosTask = Task { await driver.run(started: started) }
        if !plan.isEmpty { say("chaos: \(chaos ?? "") (seed \(seed))") }
        replay.waitForExit()
        chaosTask.cancel()
        await chaosTask.value
        driver.resumeAll()
        let replaySeconds = Double((ContinuousClock.now - started).components.seconds)
        guard replay.exitStatus == 0 else { throw fail("the replay failed (status \(replay.exitStatus ?? -1)); see \(dir)/logs/replay.log") }
        say("replay done in \(Int(replaySeconds)) s; waiting for every partition to catch up…")
        if let crashes {
            crashes.start(on: cluster)
            try await cluster.waitFor("the restarted coordinator", seconds: 60) { (try? await cluster.client.get("/v1/cluster")) != nil }
            try await submit(specs, cluster)
        }

        var results: [VerifyReport.JobResult] = []
        if let crashes {
            // Every armed crash point has to be passed before the results count.
            try await cluster.waitFor("the coordinator crash points", seconds: 240) { crashes.notReached.isEmpty }
        }
        for s in specs {
            let name = s.spec.name
            // The event counts come from a complete answer: one that timed out waiting for a busy
            // worker leaves that worker's partitions out (and says so).
            let answer = try await cluster.waitUntilCaughtUp(job: name, seconds: 300)
            let csv = try await cluster.rollupsCSV(job: name)
            let accepted = ((answer["events"] as? [String: Any])?["accepted"] as? Int).map(Int64.init) ?? -1
            let reference = expected[name] ?? ReferenceResult(csv: "", accepted: 0)
            let from = retentionMs.flatMap { VerifyReport.retainedFrom(reference: reference.csv, retentionMs: $0) }
            results.append(VerifyReport.compare(job: name, reference: reference.csv, cluster: csv,
                                                referenceAccepted: reference.accepted, clusterAccepted: accepted, windowsEndingFrom: from))
        }
        let status = try await cluster.client.get("/v1/cluster")
        let report = VerifyReport(jobs: results, kills: driver.kills, pauses: driver.pauses, joins: driver.joins, leaves: driver.leaves,
                                  replication: replication, chaos: driver.events,
                                  failoversMs: (status["failovers_ms"] as? [Int]) ?? [],
                                  silentFailoversMs: (status["silent_failovers_ms"] as? [Int]) ?? [],
                                  failoversWithNewOwnerLostMs: (status["failovers_new_owner_lost_ms"] as? [Int]) ?? [],
                                  handoffsMs: (status["handoffs_ms"] as? [Int]) ?? [],
                                  failoverCatchUpsMs: (status["failover_catch_ups_ms"] as? [Int]) ?? [],
                                  staleWritesRefused: ((status["checkpoints"] as? [String: Any])?["stale_writes_refused"] as? Int) ?? 0,
                                  checkpointsCommitted: ((status["checkpoints"] as? [String: Any])?["committed"] as? Int) ?? 0,
                                  failpointsReached: (sweep?.reached ?? []) + (crashes?.reached ?? []),
                                  failpointsNotReached: (sweep?.notReached ?? []) + (crashes?.notReached ?? []),
                                  epochRegressions: crashes?.epochRegressions ?? [])
        print(report.text)
        if let reportPath { try report.json.write(toFile: reportPath, atomically: true, encoding: .utf8) }
        cluster.stop()
        if report.passed {
            if !keep && dataDir == nil { try? FileManager.default.removeItem(atPath: dir) }
        } else {
            say("data and logs kept in \(dir)")
            throw ExitCode(1)
        }
    }

    private func submit(_ specs: [LoadedJob], _ cluster: LocalCluster) async throws {
        for s in specs { _ = try await cluster.client.request("POST", "/v1/jobs", body: Data(s.text.utf8)) }
    }

    struct LoadedJob { var spec: JobSpec; var text: String }

    private func loadJobs() throws -> [LoadedJob] {
        var paths = jobs
        if paths.isEmpty {
            paths = ((try? FileManager.default.contentsOfDirectory(atPath: "jobs")) ?? []).filter { $0.hasSuffix(".yaml") }.sorted().map { "jobs/" + $0 }
        }
        guard !paths.isEmpty else { throw fail("no jobs: pass --job FILE (no jobs/*.yaml here)") }
        let loaded = try paths.map { path -> LoadedJob in
            let spec = try loadSpec(path)
            return LoadedJob(spec: spec, text: try String(contentsOfFile: path, encoding: .utf8))
        }
        let streams = Set(loaded.map(\.spec.stream))
        guard streams.count == 1 else { throw fail("the jobs read different streams (\(streams.sorted().joined(separator: ", "))); verify one stream at a time") }
        return loaded
    }

    struct ReferenceResult: Sendable { var csv: String; var accepted: Int64 }

    /// One job over the whole recording with the reference implementation (jobs run in parallel).
    static func reference(_ spec: JobSpec, input: String, dir: String) throws -> ReferenceResult {
        let out = dir + "/\(spec.name)-reference.csv"
        var settings = JobRun.Settings(spec: spec, inputPath: input)
        settings.useReference = true
        let report: JobRun.Report
        do {
            report = try JobRun(settings).run(sink: try RollupFileSink(path: out, spec: spec, format: .csv))
        } catch {
            throw fail("reference run of \(spec.name): \(error)")
        }
        return ReferenceResult(csv: try String(contentsOfFile: out, encoding: .utf8), accepted: report.stats.accepted)
    }
}
