import ArgumentParser
import Foundation
import Synchronization
import WeirCore
import WeirRunner

/// `weir up`: a whole local cluster (coordinator + workers) on loopback, optionally with the
/// sample jobs and a replay of a generated recording.
struct UpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Start a local cluster: a coordinator and N workers on loopback.",
        discussion: "With --demo it also submits the sample jobs in jobs/ and replays a generated recording, printing live rollups.")

    @Option(help: "Number of worker processes.")
    var workers = 2

    @Option(name: .customLong("data-dir"), help: "Where the cluster keeps its logs and state.")
    var dataDir = "weir-data"

    @Option(help: "host:port of the HTTP API.")
    var http = "127.0.0.1:7480"

    @Option(help: "host:port of the binary protocol.")
    var listen = "127.0.0.1:7400"

    @Option(help: "Partitions (fixed when the data directory is created).")
    var partitions = 16

    @Flag(help: "Submit the sample jobs and replay a generated recording.")
    var demo = false

    @Option(name: .customLong("jobs-dir"), help: "Where --demo finds the sample job specs.")
    var jobsDir = "jobs"

    @Option(name: .customLong("demo-events"), help: "Events in the demo recording.")
    var demoEvents = "2M"

    @Option(name: .customLong("demo-rate"), help: "Replay rate of the demo.")
    var demoRate = "20k/s"

    @Flag(name: .customLong("no-restart"), help: "Do not restart a child process that dies.")
    var noRestart = false

    func run() async throws {
        guard (1...64).contains(workers) else { throw fail("--workers must be 1...64") }
        let logs = dataDir + "/logs"
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        let readyFile = dataDir + "/coordinator.ready"
        try? FileManager.default.removeItem(atPath: readyFile)
        let coordinator = ChildProcess(
            name: "coordinator",
            arguments: ["coordinator", "--data-dir", dataDir + "/coordinator", "--listen", listen, "--http", http,
                        "--partitions", String(partitions), "--stream", "clicks:user", "--ready-file", readyFile],
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
        if demo {
            let demo = DemoRun(dataDir: dataDir, jobsDir: jobsDir, events: demoEvents, rate: demoRate,
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

/// Set once by a signal handler, polled by the main loop.
final class StopFlag: Sendable {
    private let flag = Mutex(false)
    func set() { flag.withLock { $0 = true } }
    var isSet: Bool { flag.withLock { $0 } }
}
