import ArgumentParser
import Foundation
import WeirTools
import WeirCore
import WeirStore
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

    @Option(name: .customLong("checkpoint-interval"), help: "How often each owned partition checkpoints, e.g. 1s or 500ms; off: never (moved partitions replay their whole log).")
    var checkpointInterval = "1s"

    @Option(name: .customLong("state-map-size"), help: "Largest size of the checkpoint store (LMDB map), e.g. 1g or 256m.")
    var stateMapSize = "1g"

    @Option(help: "A write token of the coordinator's --auth-tokens file (default: $WEIR_TOKEN).")
    var token: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    func run() async throws {
        try armFailpointFromEnvironment()
        bootstrapLogging(logLevel)
        guard let address = WireEndpoint.parse(coordinator) else { throw fail("--coordinator \(coordinator): expected host:port") }
        guard let retentionMs = DurationText.milliseconds(retention), retentionMs > 0 else { throw fail("--retention \(retention): expected a duration") }
        guard let intervalMs = checkpointInterval == "off" ? 0 : DurationText.milliseconds(checkpointInterval), intervalMs >= 0 else {
            throw fail("--checkpoint-interval \(checkpointInterval): expected a duration such as 1s, or off")
        }
        guard let mapBytes = parseBytes(stateMapSize), mapBytes >= 1 << 16 else { throw fail("--state-map-size \(stateMapSize): expected a size such as 1g") }
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        // One LMDB environment per process, kept across reconnections.
        let store: CheckpointStore
        do {
            store = try CheckpointStore(directory: dataDir + "/state", mapSizeBytes: mapBytes)
        } catch {
            throw fail("cannot open the checkpoint store in \(dataDir)/state: \(error)")
        }
        let name = id ?? "\(ProcessInfo.processInfo.hostName)-\(getpid())"
        var settings = WorkerSettings(name: name, dataDirectory: dataDir)
        settings.coordinatorHost = address.host
        settings.coordinatorPort = address.port
        settings.retentionMilliseconds = retentionMs
        settings.checkpointIntervalMilliseconds = intervalMs
        settings.token = token ?? ProcessInfo.processInfo.environment["WEIR_TOKEN"]
        let stop = StopFlag()
        let watcher = SignalWatcher { _ in stop.set() }
        // The data path's threads are this process's: they serve every reconnection and are shut
        // down when it stops.
        let dataPath = DataPath()
        defer { watcher.cancel() }
        while !stop.isSet {
            let worker = Worker(settings: settings, store: store, dataPath: dataPath)
            let runTask = Task { try await worker.run() }
            let monitor = Task {
                while !stop.isSet && !Task.isCancelled { try await Task.sleep(for: .milliseconds(100)) }
                guard stop.isSet else { return }
                // Leave cleanly: the coordinator moves the partitions away; give it 10 s at most
                // (each partition takes a last checkpoint, copied to its standby, before it is released).
                await worker.leave()
                try await Task.sleep(for: .seconds(10))
                runTask.cancel()
            }
            do {
                try await runTask.value
            } catch {
                if !stop.isSet { printError("weir worker \(name): connection to \(coordinator) failed: \(error)") }
            }
            monitor.cancel()
            if stop.isSet { break }
            try? await Task.sleep(for: .seconds(1))
        }
        await dataPath.shutdown()
    }
}
