import ArgumentParser
import Foundation
import WeirTools
import Synchronization
import Logging
import WeirCoordinator
import WeirCore
import WeirHTTP
import WeirStore
import WeirWire

extension Coordinator: ClusterAPI {}

/// `weir coordinator`: ingest, partition logs, leases, job registry, HTTP API.
struct CoordinatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coordinator",
        abstract: "Run a coordinator: ingest, durable partition logs, leases, jobs and the HTTP API.")

    @Option(name: .customLong("data-dir"), help: "Directory for the partition logs and metadata (created if missing).")
    var dataDir: String

    @Option(help: "host:port for workers and replay (binary protocol; port 0 picks one).")
    var listen = "127.0.0.1:7400"

    @Option(help: "host:port of the HTTP API (port 0 picks one).")
    var http = "127.0.0.1:7480"

    @Option(help: "Number of partitions (fixed when the data directory is created).")
    var partitions = 16

    @Option(name: .customLong("stream"), help: "Declare a stream: NAME or NAME:KEYFIELD (repeatable).")
    var streams: [String] = []

    @Option(name: .customLong("lease-ttl"), help: "Lease time-to-live, e.g. 3s.")
    var leaseTTL = "3s"

    @Option(name: .customLong("replication"), help: "Copies of each partition's checkpoints (owner + standbys, at most one per connected worker): 1 to 8; 3 survives an owner and a standby failing together.")
    var replication = 2

    @Option(name: .customLong("idle-after"), help: "A partition without events for this long stops holding its jobs' watermarks back (e.g. 30s; off disables).")
    var idleAfter = "30s"

    @Option(name: .customLong("segment-size"), help: "Size of one partition log segment, e.g. 64m; logs are truncated a segment at a time behind every job's committed checkpoint.")
    var segmentSize = "64m"

    @Option(name: .customLong("log-compression"), help: "none or zstd: how new partition log frames are stored; zstd takes ~5x less disk for more CPU (logs written either way are read).")
    var logCompression = "none"

    @Option(name: .customLong("log-sync"), help: "syncfs or fdatasync: how the partition log makes a commit round durable; syncfs flushes the data directory's file system once per round, fdatasync each partition's file (choose it when that file system is shared with heavy writers).")
    var logSync = "syncfs"

    @Option(name: .customLong("auth-tokens"), help: "File of `read TOKEN` / `write TOKEN` lines: every request then needs a bearer token (required to listen beyond loopback).")
    var authTokens: String?

    @Option(name: .customLong("max-result-rows"), help: "Largest query answer in rows (larger ones get 400).")
    var maxResultRows = 2_000_000

    @Option(name: .customLong("final-window-rows"), help: "Merged rows of final windows kept per job, so queries merge only open windows (0 keeps none).")
    var finalWindowRows = 100_000

    @Option(name: .customLong("max-query-range"), help: "Longest last= and from…to span of a query, e.g. 31d.")
    var maxQueryRange = "31d"

    @Option(name: .customLong("max-body"), help: "Largest HTTP request body, e.g. 64m (larger ones get 413).")
    var maxBody = "64m"

    @Option(name: .customLong("ready-file"), help: "Write the bound ports here once listening (for scripts and tests).")
    var readyFile: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    func run() async throws {
        try armFailpointFromEnvironment()
        bootstrapLogging(logLevel)
        guard let wire = WireEndpoint.parse(listen) else { throw fail("--listen \(listen): expected host:port") }
        guard let web = WireEndpoint.parse(http) else { throw fail("--http \(http): expected host:port") }
        var tokens: AuthTokens?
        if let authTokens {
            guard let text = try? String(contentsOfFile: authTokens, encoding: .utf8) else { throw fail("--auth-tokens \(authTokens): cannot read the file") }
            do { tokens = try AuthTokens.parse(text, source: authTokens) } catch { throw fail(error.message) }
        }
        for (flag, endpoint) in [("--http", web), ("--listen", wire)] where tokens == nil && !Self.isLoopback(endpoint.host) {
            throw fail("\(flag) \(endpoint.host): refusing to listen beyond loopback without --auth-tokens (anyone who can reach it could read and write)")
        }
        guard (1...4096).contains(partitions) else { throw fail("--partitions must be 1...4096, got \(partitions)") }
        guard let ttl = DurationText.milliseconds(leaseTTL), ttl >= 30 else { throw fail("--lease-ttl \(leaseTTL): expected a duration of at least 30ms") }
        var settings = CoordinatorSettings(dataDirectory: dataDir)
        settings.wireHost = wire.host
        settings.wirePort = wire.port
        settings.partitionCount = partitions
        settings.lease = LeaseSettings(ttlMilliseconds: ttl)
        guard (1...8).contains(replication) else { throw fail("--replication must be 1...8, got \(replication)") }
        settings.replicationFactor = replication
        settings.tokens = tokens
        guard let segmentBytes = parseBytes(segmentSize), segmentBytes >= 64 << 10 else { throw fail("--segment-size \(segmentSize): expected a size of at least 64k, such as 64m") }
        settings.segmentBytesMax = segmentBytes
        switch logCompression {
        case "zstd": settings.logCompression = true
        case "none": settings.logCompression = false
        default: throw fail("--log-compression \(logCompression): expected zstd or none")
        }
        guard let sync = PartitionLogSet.SyncMode(rawValue: logSync) else {
            throw fail("--log-sync \(logSync): expected syncfs or fdatasync")
        }
        settings.logSync = sync
        if idleAfter == "off" {
            settings.idleAfterMilliseconds = 0
        } else {
            guard let idle = DurationText.milliseconds(idleAfter), idle >= 100 else { throw fail("--idle-after \(idleAfter): expected a duration of at least 100ms, or off") }
            settings.idleAfterMilliseconds = idle
        }
        guard finalWindowRows >= 0 else { throw fail("--final-window-rows must be 0 or more") }
        settings.finalWindowRows = finalWindowRows
        for s in streams {
            let parts = s.split(separator: ":", maxSplits: 1).map(String.init)
            guard let name = parts.first, !name.isEmpty else { throw fail("--stream \(s): expected NAME or NAME:KEYFIELD") }
            settings.streams.append((name, parts.count > 1 ? parts[1] : nil))
        }
        // The data path's threads are this process's: started here, shut down when it stops.
        let dataPath = DataPath()
        let coordinator: Coordinator
        do {
            coordinator = try Coordinator(settings: settings, dataPath: dataPath)
        } catch {
            await dataPath.shutdown()
            throw fail("cannot start the coordinator: \(error)")
        }
        var httpSettings = HTTPServer.Settings()
        httpSettings.host = web.host
        httpSettings.port = web.port
        guard let bodyMax = parseBytes(maxBody), bodyMax > 0 else { throw fail("--max-body \(maxBody): expected a size like 64m") }
        httpSettings.bodyBytesMax = bodyMax
        httpSettings.tokens = tokens
        guard maxResultRows > 0 else { throw fail("--max-result-rows must be positive") }
        httpSettings.resultRowsMax = maxResultRows
        guard let range = DurationText.milliseconds(maxQueryRange), range > 0 else { throw fail("--max-query-range \(maxQueryRange): expected a duration like 31d") }
        httpSettings.queryRangeMillisecondsMax = range
        let server = HTTPServer(settings: httpSettings, api: coordinator)
        let httpPort = PortBox()
        let stop = StopFlag()
        let watcher = SignalWatcher { _ in stop.set() }
        defer { watcher.cancel() }
        let served: Result<Void, any Error>
        do { try await serve(coordinator, server, httpPort, stop, hosts: (wire.host, web.host)); served = .success(()) } catch { served = .failure(error) }
        await dataPath.shutdown()
        try served.get()
    }

    /// Runs the coordinator and its HTTP server until a signal or a failure stops one of them.
    private func serve(_ coordinator: Coordinator, _ server: HTTPServer, _ httpPort: PortBox, _ stop: StopFlag,
                       hosts: (wire: String, http: String)) async throws {
        let readyFile = self.readyFile
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                while !stop.isSet { try await Task.sleep(for: .milliseconds(100)) }
                throw CancellationError()
            }
            group.addTask { try await coordinator.run() }
            group.addTask { try await server.run { port in httpPort.set(port) } }
            group.addTask {
                while await coordinator.boundWirePort == 0 || httpPort.value == 0 { try await Task.sleep(for: .milliseconds(20)) }
                let wirePort = await coordinator.boundWirePort
                let line = "coordinator ready: wire \(hosts.wire):\(wirePort), http http://\(hosts.http):\(httpPort.value)"
                say(line)
                if let readyFile {
                    try "wire=\(wirePort)\nhttp=\(httpPort.value)\n".write(toFile: readyFile, atomically: true, encoding: .utf8)
                }
            }
            // A task that throws (the signal's CancellationError, or a failure) stops the others:
            // leaving the body without cancelling them would wait for the server and coordinator
            // forever, and SIGTERM / Ctrl-C would not stop the process.
            defer { group.cancelAll() }
            do {
                while try await group.next() != nil {}
            } catch is CancellationError {
            } catch {
                throw fail("coordinator stopped: \(error)")
            }
        }
    }
}

extension CoordinatorCommand {
    /// 127.0.0.0/8, ::1 and localhost.
    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }
}

/// A port learned from a callback, readable from another task.
final class PortBox: Sendable {
    private let storage = Mutex(0)
    func set(_ port: Int) { storage.withLock { $0 = port } }
    var value: Int { storage.withLock { $0 } }
}

/// Log lines to stderr at `level`, once per process.
func bootstrapLogging(_ level: String) {
    let parsed = Logger.Level(rawValue: level) ?? .info
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = parsed
        return handler
    }
}
