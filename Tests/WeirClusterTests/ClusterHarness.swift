import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import WeirTestSupport

/// Real `weir` processes on loopback for integration tests: a coordinator on free ports and
/// named workers, each with its log in the test's directory. Everything is stopped by `shutdown`;
/// the directory goes when the test process exits (`WEIR_KEEP_TEST_DIRS=1` keeps it).
final class ClusterHarness: @unchecked Sendable {
    // @unchecked: mutated only from the test's own task.
    static let root = WeirExecutable.root
    let dir: String
    var coordinator: Process?
    var workers: [String: Process] = [:]
    var wirePort = 0
    var httpPort = 0

    init(name: String) {
        dir = TestScratch.directory("weir-cluster-\(name)")
    }

    func spawn(_ arguments: [String], log: String) throws -> Process {
        try WeirExecutable.spawn(arguments, logPath: dir + "/" + log)
    }

    /// Runs `weir` to completion; returns (status, stdout, stderr).
    func weir(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let outcome = try WeirExecutable.run(arguments)
        return (outcome.status, outcome.stdout, outcome.stderr)
    }

    func startCoordinator(leaseTTL: String = "3s", extra: [String] = []) async throws {
        let ready = dir + "/ready"
        coordinator = try spawn(["coordinator", "--data-dir", dir + "/coordinator", "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0",
                                 "--stream", "clicks:user", "--lease-ttl", leaseTTL, "--ready-file", ready] + extra, log: "coordinator.log")
        try await waitFor("the coordinator to be ready", seconds: 60) { FileManager.default.fileExists(atPath: ready) }
        let text = try String(contentsOfFile: ready, encoding: .utf8)
        for line in text.split(separator: "\n") {
            let kv = line.split(separator: "=")
            if kv.first == "wire" { wirePort = Int(kv[1]) ?? 0 }
            if kv.first == "http" { httpPort = Int(kv[1]) ?? 0 }
        }
    }

    /// Kills the coordinator (-9) and starts it again on its data directory and ports, as
    /// `weir up` does after a crash; returns once it is ready.
    func restartCoordinator(leaseTTL: String = "3s") async throws {
        if let c = coordinator, c.isRunning { kill(c.processIdentifier, SIGKILL); c.waitUntilExit() }
        let ready = dir + "/ready"
        try? FileManager.default.removeItem(atPath: ready)
        coordinator = try spawn(["coordinator", "--data-dir", dir + "/coordinator", "--listen", "127.0.0.1:\(wirePort)", "--http", http,
                                 "--stream", "clicks:user", "--lease-ttl", leaseTTL, "--ready-file", ready], log: "coordinator-restarted.log")
        try await waitFor("the restarted coordinator to be ready", seconds: 60) { FileManager.default.fileExists(atPath: ready) }
    }

    func startWorker(_ name: String, extra: [String] = []) throws {
        workers[name] = try spawn(["worker", "--coordinator", "127.0.0.1:\(wirePort)", "--data-dir", dir + "/" + name, "--id", name] + extra,
                                  log: name + (workers[name] == nil ? "" : "-restarted") + ".log")
    }

    var http: String { "127.0.0.1:\(httpPort)" }

    func signal(_ worker: String, _ sig: Int32) {
        if let p = workers[worker] { kill(p.processIdentifier, sig) }
    }

    func shutdown() {
        for p in workers.values where p.isRunning { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() }
        if let c = coordinator, c.isRunning { kill(c.processIdentifier, SIGKILL); c.waitUntilExit() }
    }

    func log(_ name: String) -> String { (try? String(contentsOfFile: dir + "/" + name, encoding: .utf8)) ?? "" }

    // MARK: HTTP

    func request(_ method: String, _ path: String, body: Data? = nil, headers: [String: String] = [:]) async throws -> (status: Int, body: Data) {
        let (status, data, _) = try await exchange(method, path, body: body, headers: headers)
        return (status, data)
    }

    /// A request's status, body and response headers.
    func exchange(_ method: String, _ path: String, body: Data? = nil, headers: [String: String] = [:]) async throws -> (status: Int, body: Data, response: HTTPURLResponse?) {
        var req = URLRequest(url: try #require(URL(string: "http://\(http)\(path)")))
        req.httpMethod = method
        req.httpBody = body
        req.timeoutInterval = 120
        for (k, v) in headers { req.setValue(v, forHTTPHeaderField: k) }
        let (data, response) = try await URLSession.shared.data(for: req)
        let http = response as? HTTPURLResponse
        return (http?.statusCode ?? 0, data, http)
    }

    /// `job`'s rollups as CSV from an answer that covers every acknowledged event
    /// (`Weir-Events-Behind: 0` on that same response: a partition may move between two queries).
    func caughtUpCSV(job: String, seconds: Double = 180) async throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        var last = "no answer"
        repeat {
            let (status, body, response) = try await exchange("GET", "/v1/jobs/\(job)/rollups?format=csv")
            let behind = response?.value(forHTTPHeaderField: "Weir-Events-Behind")
            if status == 200, behind == "0" { return String(decoding: body, as: UTF8.self) }
            last = "HTTP \(status), \(behind ?? "?") events behind, source \(response?.value(forHTTPHeaderField: "Weir-Source") ?? "?")"
            try await Task.sleep(for: .milliseconds(200))
        } while Date() < deadline
        Issue.record("no CSV answer of \(job) covered every acknowledged event in \(seconds) s (last: \(last)); logs in \(dir)")
        throw CancellationError()
    }

    func json(_ method: String, _ path: String, body: Data? = nil) async throws -> (status: Int, object: [String: Any]) {
        let (status, data) = try await request(method, path, body: body)
        return (status, (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:])
    }

    /// The cluster status as JSON.
    func status() async throws -> [String: Any] { try await json("GET", "/v1/cluster").object }

    /// Partition → the workers storing its committed checkpoint.
    func checkpointReplicas() async throws -> [Int: [String]] {
        var out: [Int: [String]] = [:]
        for p in try await status()["partitions"] as? [[String: Any]] ?? [] {
            if let n = p["partition"] as? Int { out[n] = (p["checkpoint"] as? [String: Any])?["replicas"] as? [String] ?? [] }
        }
        return out
    }

    /// Partition → holder name.
    func holders() async throws -> [Int: String] {
        var out: [Int: String] = [:]
        for p in try await status()["partitions"] as? [[String: Any]] ?? [] {
            if let n = p["partition"] as? Int, let h = p["holder"] as? String { out[n] = h }
        }
        return out
    }

    /// Waits until every partition is held and its owner has processed its whole log for `job`
    /// (the answer is complete and no event is behind).
    func waitUntilCaughtUp(job: String = "clicks-per-page", seconds: Double = 180) async throws {
        try await waitFor("every partition of \(job) to be held and caught up", seconds: seconds) {
            guard let answer = try? await self.json("GET", "/v1/jobs/\(job)/rollups?from=0&to=1").object,
                  let events = answer["events"] as? [String: Any] else { return false }
            return answer["complete"] as? Bool == true && events["behind"] as? Int == 0
        }
    }

    /// Until every partition is held, none is moving and the workers hold equal shares (±1):
    /// partitions whose state a new worker lacks move to it only after a warm-up.
    func waitUntilBalanced(workers: Int, seconds: Double = 60) async throws {
        try await waitFor("\(workers) workers to hold equal shares of the partitions", seconds: seconds) {
            guard let parts = try await self.status()["partitions"] as? [[String: Any]] else { return false }
            guard parts.allSatisfy({ $0["holder"] is String && $0["revoking"] as? Bool == false }) else { return false }
            var held: [String: Int] = [:]
            for p in parts { held[p["holder"] as? String ?? "", default: 0] += 1 }
            let counts = held.values
            return held.count == workers && (counts.max() ?? 0) - (counts.min() ?? 0) <= 1
        }
    }

    /// Waits until the workers have processed at least `count` events (summed over partitions):
    /// the replay is under way and owners are reading, whatever the machine's speed.
    func waitForProcessed(_ count: Int, seconds: Double = 60) async throws {
        try await waitFor("\(count) events to be processed", seconds: seconds) {
            let partitions = try await status()["partitions"] as? [[String: Any]] ?? []
            return partitions.reduce(0) { $0 + ($1["consumed"] as? Int ?? 0) } >= count
        }
    }

    /// Waits until the coordinator no longer lists `worker` as connected (after a kill).
    func waitForWorkerGone(_ worker: String, seconds: Double = 60) async throws {
        try await waitFor("\(worker) to be gone", seconds: seconds) {
            let workers = try await status()["workers"] as? [[String: Any]] ?? []
            return !workers.contains { $0["name"] as? String == worker }
        }
    }

    func waitFor(_ what: String, seconds: Double, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        // Once more after the deadline: a busy test process may not have run this task for a while.
        if try await condition() { return }
        Issue.record("timed out after \(seconds) s waiting for \(what); logs in \(dir)")
        throw CancellationError()
    }
}
