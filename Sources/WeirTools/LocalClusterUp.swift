import Foundation

/// `weir up`: a whole local cluster (coordinator + workers as child processes on loopback),
/// optionally with the sample jobs and a replay of a generated recording (`demo`).
package struct LocalClusterUp: Sendable {
    /// The defaults are `weir up`'s.
    package struct Settings: Sendable {
        package var workers: Int = 2
        package var dataDir: String = "weir-data"
        package var http: String = "127.0.0.1:7480"
        package var listen: String = "127.0.0.1:7400"
        package var partitions: Int = 16
        package var demo: Bool = false
        package var jobsDir: String = "jobs"
        package var demoEvents: String = "2M"
        package var demoRate: String = "20k/s"
        package var noRestart: Bool = false

        package init() {}
    }

    package let settings: Settings

    package init(_ settings: Settings) { self.settings = settings }

    /// Starts the cluster, prints where it is, and supervises it (restarting a child that dies)
    /// until SIGINT or SIGTERM; then workers leave and the coordinator stops.
    package func run() async throws {
        let settings = self.settings
        let workers = settings.workers, dataDir = settings.dataDir, listen = settings.listen, noRestart = settings.noRestart
        guard (1...64).contains(workers) else { throw fail("--workers must be 1...64") }
        let logs = dataDir + "/logs"
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        let readyFile = dataDir + "/coordinator.ready"
        try? FileManager.default.removeItem(atPath: readyFile)
        let coordinator = ChildProcess(
            name: "coordinator",
            arguments: ["coordinator", "--data-dir", dataDir + "/coordinator", "--listen", listen, "--http", settings.http,
                        "--partitions", String(settings.partitions), "--stream", "clicks:user", "--ready-file", readyFile],
            logPath: logs + "/coordinator.log", restart: !noRestart)
        try coordinator.start()
        let ports = try await coordinator.waitForReadyFile(readyFile)
        let httpAddress = "127.0.0.1:\(ports.http)"
        var children = [coordinator]
        for i in 1...workers {
            let worker = ChildProcess(
                name: "worker-\(i)",
                arguments: ["worker", "--coordinator", "127.0.0.1:\(ports.wire)", "--data-dir", dataDir + "/worker-\(i)", "--id", "worker-\(i)"],
                logPath: logs + "/worker-\(i).log", restart: !noRestart)
            try worker.start()
            children.append(worker)
        }
        say("Weir is up: \(workers) workers, coordinator at \(listen)")
        say("  dashboard: http://\(httpAddress)/   (live charts, top pages, the cluster, why a job has no output)")
        say("  HTTP API:  http://\(httpAddress)   (e.g. /v1/cluster, /v1/jobs/clicks-per-page/rollups?last=1m, /metrics, /openapi.yaml)")
        say("  logs:      \(logs)/")
        // The CLI's default is 127.0.0.1:7480; any other address has to be named.
        let flag = httpAddress == "127.0.0.1:7480" ? "" : " --http \(httpAddress)"
        say("  try:       weir status\(flag)   |   weir submit jobs/clicks-per-page.yaml\(flag)   |   weir query clicks-per-page --last 1m --top 5\(flag)")
        if !flag.isEmpty { say("             (or export WEIR_HTTP=\(httpAddress))") }
        let stop = StopFlag()
        let watcher = SignalWatcher { _ in stop.set() }
        defer { watcher.cancel() }
        var demoTask: Task<Void, any Error>?
        if settings.demo {
            let demo = DemoRun(dataDir: dataDir, jobsDir: settings.jobsDir, events: settings.demoEvents, rate: settings.demoRate,
                               client: ClusterClient(address: httpAddress), wireAddress: "127.0.0.1:\(ports.wire)", logs: logs)
            demoTask = Task { try await demo.run(stop: stop) }
        }
        while !stop.isSet { try await Task.sleep(for: .milliseconds(100)) }
        demoTask?.cancel()
        _ = await demoTask?.result  // the demo stops its replay first
        say("\nstopping: workers leave, then the coordinator")
        for w in children.dropFirst() { w.stop(grace: 6) }
        coordinator.stop(grace: 5)
        say("stopped")
    }

}
