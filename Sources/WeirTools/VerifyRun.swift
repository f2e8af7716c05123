import Foundation
import WeirCore

/// `weir verify`: replays a recording into a cluster it starts — optionally while killing and
/// pausing workers on a seeded schedule, or crashing them and the coordinator at named points —
/// then diffs every rollup against the reference implementation over the same recording and
/// prints a pass/fail report.
package struct VerifyRun: Sendable {
    /// What to run; the defaults are `weir verify`'s.
    package struct Settings: Sendable {
        /// A recording (.zst) made by `weir gen` or `weir record`.
        package var recording: String
        package var jobs: [String] = []
        package var chaos: String?
        package var failpoints: String?
        package var crashCoordinator: String?
        package var seed: UInt64 = 1
        package var workers: Int = 3
        package var partitions: Int = 16
        package var key: String = "user"
        package var rate: String = "50k/s"
        package var replication: Int = 2
        package var leaseTTL: String = "2s"
        package var checkpointInterval: String = "1s"
        package var retention: String?
        package var segmentSize: String?
        package var dataDir: String?
        package var reportPath: String?
        package var keep: Bool = false

        package init(recording: String) { self.recording = recording }
    }

    package let settings: Settings

    package init(_ settings: Settings) { self.settings = settings }

    /// Runs the whole check and prints the report; true when every job matched the reference.
    /// - Throws: `ToolError` for bad settings, a cluster that does not start, or a failed replay.
    package func run() async throws -> Bool {
        let settings = self.settings
        let recording = settings.recording, chaos = settings.chaos, failpoints = settings.failpoints
        let workers = settings.workers, replication = settings.replication, retention = settings.retention
        let seed = settings.seed, rate = settings.rate, dataDir = settings.dataDir
        let plan = try chaos.map(ChaosPlan.parse) ?? .none
        let points = try failpoints.map(FailpointSweep.parse) ?? []
        let coordinatorPoints = try settings.crashCoordinator.map(CoordinatorCrashes.parse) ?? []
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
        let expected = try await withThrowingTaskGroup(of: (String, ReferenceRun.Result).self) { group in
            for s in specs {
                let spec = s.spec
                group.addTask { (spec.name, try ReferenceRun.run(spec, input: input, dir: dir)) }
            }
            var out: [String: ReferenceRun.Result] = [:]
            for try await (name, result) in group { out[name] = result }
            return out
        }

        let cluster = LocalCluster(dir: dir, workers: workers, partitions: settings.partitions, stream: stream, key: settings.key,
                                   leaseTTL: settings.leaseTTL, checkpointInterval: settings.checkpointInterval, replication: replication,
                                   retention: retention, segmentSize: settings.segmentSize)
        defer { cluster.stop() }
        let sweep = points.isEmpty ? nil : FailpointSweep(worker: cluster.workerProcesses[0], points: points)
        try await cluster.start(beforeWorkers: { sweep?.install() })
        say("cluster: coordinator + \(workers) workers, \(settings.partitions) partitions, HTTP \(cluster.http); logs in \(dir)/logs")
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
        if plan.killCoordinatorEvery != nil { cluster.coordinator.onExit { _ in } }  // its deaths are the driver's doing
        let driver = ChaosDriver(plan: plan, workers: cluster.workerProcesses, seed: seed, addWorker: cluster.addWorker,
                                 killAndRestartCoordinator: { await Self.killAndRestart(cluster) })
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
            let reference = expected[name] ?? ReferenceRun.Result(csv: "", accepted: 0)
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
                                  epochRegressions: crashes?.epochRegressions ?? [],
                                  coordinatorKills: driver.coordinatorKills,
                                  replayRideThrough: Self.rideThrough(in: dir + "/logs/replay.log"))
        print(report.text)
        if let reportPath = settings.reportPath { try report.json.write(toFile: reportPath, atomically: true, encoding: .utf8) }
        cluster.stop()
        if report.passed {
            if !settings.keep && dataDir == nil { try? FileManager.default.removeItem(atPath: dir) }
        } else {
            say("data and logs kept in \(dir)")
        }
        return report.passed
    }

    /// kill -9 of the coordinator, started again on its ports and data directory; returns once
    /// it answers (the workers reconnect by themselves, the replay resends).
    static func killAndRestart(_ cluster: LocalCluster) async {
        cluster.coordinator.send(SIGKILL)
        await Task.detached { cluster.coordinator.waitForExit() }.value
        await Task.detached { cluster.restartCoordinator() }.value
        try? await cluster.waitFor("the restarted coordinator", seconds: 60) { (try? await cluster.client.get("/v1/cluster")) != nil }
    }

    /// The replay's own account of the lost connections it rode through, if it printed one.
    static func rideThrough(in log: String) -> String? {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").last { $0.hasPrefix("rode through") }.map(String.init)
    }

    private func submit(_ specs: [LoadedJob], _ cluster: LocalCluster) async throws {
        for s in specs { _ = try await cluster.client.request("POST", "/v1/jobs", body: Data(s.text.utf8)) }
    }

    package struct LoadedJob { var spec: JobSpec; var text: String }

    private func loadJobs() throws -> [LoadedJob] {
        var paths = settings.jobs
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
}
