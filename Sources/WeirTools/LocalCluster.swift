import Foundation
import Synchronization

/// A coordinator and workers started as child processes on loopback (for `weir verify`).
package final class LocalCluster: Sendable {
    package let dir: String
    package let coordinator: ChildProcess
    /// Every worker process started so far (chaos adds some; removed ones stay listed, exited).
    package var workerProcesses: [ChildProcess] { workers.withLock { $0 } }
    private let workers: Mutex<[ChildProcess]>
    private let ports = PortPair()

    /// - Parameters:
    ///   - retention: the workers' `--retention` (nil: their default).
    ///   - segmentSize: the coordinator's `--segment-size` (nil: its default).
    package init(dir: String, workers: Int, partitions: Int, stream: String, key: String, leaseTTL: String, checkpointInterval: String,
         replication: Int = 2, retention: String? = nil, segmentSize: String? = nil) {
        self.dir = dir
        let streamArg = key.isEmpty ? stream : "\(stream):\(key)"
        coordinator = ChildProcess(
            name: "coordinator",
            arguments: ["coordinator", "--data-dir", dir + "/coordinator", "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0",
                        "--partitions", String(partitions), "--stream", streamArg, "--lease-ttl", leaseTTL,
                        "--replication", String(replication),
                        "--ready-file", dir + "/coordinator.ready"] + (segmentSize.map { ["--segment-size", $0] } ?? []),
            logPath: dir + "/logs/coordinator.log", restart: false)
        self.workers = Mutex((1...workers).map { Self.workerProcess(dir: dir, index: $0) })
        self.checkpointInterval = checkpointInterval
        self.retention = retention
    }

    private static func workerProcess(dir: String, index i: Int) -> ChildProcess {
        let w = ChildProcess(name: "w\(i)", arguments: [], logPath: dir + "/logs/w\(i).log", restart: false)
        w.onExit { _ in }  // deaths are the chaos driver's doing; it restarts them
        return w
    }

    private func configure(_ w: ChildProcess, index i: Int) {
        w.setArguments(["worker", "--coordinator", wire, "--data-dir", dir + "/w\(i)", "--id", "w\(i)",
                        "--checkpoint-interval", checkpointInterval] + (retention.map { ["--retention", $0] } ?? []))
    }

    /// Starts one more worker (the next name, an empty data directory) and returns it.
    package func addWorker() throws -> ChildProcess {
        let (w, index) = workers.withLock { list in
            let w = Self.workerProcess(dir: dir, index: list.count + 1)
            list.append(w)
            return (w, list.count)
        }
        configure(w, index: index)
        try w.start()
        return w
    }

    private let checkpointInterval: String
    private let retention: String?
    package var wire: String { "127.0.0.1:\(ports.get().wire)" }
    package var http: String { "127.0.0.1:\(ports.get().http)" }
    package var client: ClusterClient { ClusterClient(address: http) }

    package func start(beforeWorkers: () -> Void = {}) async throws {
        try coordinator.start()
        let bound = try await coordinator.waitForReadyFile(dir + "/coordinator.ready")
        ports.set(wire: bound.wire, http: bound.http)
        for (i, w) in workerProcesses.enumerated() {
            if i == 0 { beforeWorkers() }
            configure(w, index: i + 1)
            try w.start()
        }
        // Every partition held before the replay starts.
        try await waitFor("every partition to be held", seconds: 60) {
            guard let status = try? await self.client.get("/v1/cluster"), let parts = status["partitions"] as? [[String: Any]] else { return false }
            return parts.allSatisfy { $0["holder"] is String }
        }
    }

    /// Starts the coordinator again on the ports it had (workers reconnect to the same address).
    package func restartCoordinator() {
        let (w, h) = ports.get()
        var args = coordinator.arguments
        if let i = args.firstIndex(of: "--listen") { args[i + 1] = "127.0.0.1:\(w)" }
        if let i = args.firstIndex(of: "--http") { args[i + 1] = "127.0.0.1:\(h)" }
        coordinator.setArguments(args)
        for _ in 0..<20 {
            if (try? coordinator.start()) != nil { return }
            Thread.sleep(forTimeInterval: 0.5)
        }
    }

    @discardableResult
    package func waitUntilCaughtUp(job: String, seconds: Double) async throws -> [String: Any] {
        try await client.waitUntilCaughtUp(job: job, seconds: seconds, hint: "; logs in \(dir)/logs")
    }

    /// The job's rollups in `weir run`'s CSV form (retried while a partition is moving).
    package func rollupsCSV(job: String) async throws -> String { try await client.rollupsCSV(job: job) }

    package func waitFor(_ what: String, seconds: Double, _ condition: () async throws -> Bool) async throws {
        try await client.waitFor(what, seconds: seconds, hint: "; logs in \(dir)/logs", condition)
    }

    /// Workers leave, then the coordinator stops.
    package func stop() {
        for w in workerProcesses { w.send(SIGCONT); w.stop(grace: 12) }
        coordinator.stop(grace: 5)
    }
}

/// The coordinator's bound ports, learned from its ready file.
package final class PortPair: Sendable {
    private let value = Mutex((wire: 0, http: 0))
    package func set(wire: Int, http: Int) { value.withLock { $0 = (wire, http) } }
    package func get() -> (wire: Int, http: Int) { value.withLock { $0 } }
}

import Synchronization
