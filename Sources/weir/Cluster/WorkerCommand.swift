import ArgumentParser
import Foundation
import WeirCore
import WeirWire
import WeirWorker

/// `weir worker`: holds partition leases and runs every job on them.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run a worker: take partition leases from a coordinator and run the jobs on them.")

    @Option(help: "host:port of the coordinator's binary protocol.")
    var coordinator = "127.0.0.1:7400"

    @Option(name: .customLong("data-dir"), help: "Directory for local state.")
    var dataDir: String

    @Option(help: "This worker's name (default: host-pid).")
    var id: String?

    @Option(help: "Keep final windows queryable for this long of event time, e.g. 1h.")
    var retention = "1h"

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    func run() async throws {
        bootstrapLogging(logLevel)
        guard let address = WireEndpoint.parse(coordinator) else { throw fail("--coordinator \(coordinator): expected host:port") }
        guard let retentionMs = DurationText.milliseconds(retention), retentionMs > 0 else { throw fail("--retention \(retention): expected a duration") }
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        let name = id ?? "\(ProcessInfo.processInfo.hostName)-\(getpid())"
        var settings = WorkerSettings(name: name, dataDirectory: dataDir)
        settings.coordinatorHost = address.host
        settings.coordinatorPort = address.port
        settings.retentionMilliseconds = retentionMs
        let stop = StopFlag()
        let watcher = SignalWatcher { _ in stop.set() }
        defer { watcher.cancel() }
        while !stop.isSet {
            let worker = Worker(settings: settings)
            let runTask = Task { try await worker.run() }
            let monitor = Task {
                while !stop.isSet && !Task.isCancelled { try await Task.sleep(for: .milliseconds(100)) }
                guard stop.isSet else { return }
                // Leave cleanly: the coordinator moves the partitions away; give it 5 s at most.
                await worker.leave()
                try await Task.sleep(for: .seconds(5))
                runTask.cancel()
            }
            do {
                try await runTask.value
            } catch {
                if !stop.isSet { printError("weir worker \(name): connection to \(coordinator) failed: \(error)") }
            }
            monitor.cancel()
            if stop.isSet { break }
            try await Task.sleep(for: .seconds(1))
        }
    }
}
