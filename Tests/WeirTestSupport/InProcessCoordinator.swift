import WeirCoordinator
import WeirWire

/// A real coordinator in the test process: its wire protocol on a free loopback port, its
/// partition logs and metadata in a scratch directory, its data path started and shut down
/// around the test.
public enum InProcessCoordinator {
    /// Runs `body` with the coordinator's wire port and the coordinator, then stops it (also
    /// when `body` throws).
    /// - Parameters:
    ///   - partitions: partitions of its streams.
    ///   - replicationFactor: copies of each checkpoint (1: the owner's only).
    ///   - streams: declared streams and their key fields.
    ///   - dataDirectory: where it keeps its data (default: a new scratch directory): a second
    ///     coordinator on the same directory is the first one restarted.
    ///   - port: its wire port (0: any free one).
    public static func run(_ name: String, partitions: Int = 4, replicationFactor: Int = 2,
                           streams: [(name: String, keyField: String?)] = [("clicks", "user")],
                           dataDirectory: String? = nil, port wirePort: Int = 0,
                           _ body: (_ port: Int, _ coordinator: Coordinator) async throws -> Void) async throws {
        var settings = CoordinatorSettings(dataDirectory: dataDirectory ?? TestScratch.directory(name))
        settings.wirePort = wirePort
        settings.partitionCount = partitions
        settings.replicationFactor = replicationFactor
        settings.streams = streams
        try await withDataPath(threads: 2) { dataPath in
            let coordinator = try Coordinator(settings: settings, dataPath: dataPath)
            let running = Task { try await coordinator.run() }
            defer { running.cancel() }
            var port = 0
            for _ in 0..<2_000 where port == 0 {
                port = await coordinator.boundWirePort
                if port == 0 { try await Task.sleep(for: .milliseconds(5)) }
            }
            guard port != 0 else { throw CoordinatorDidNotListen() }
            try await body(port, coordinator)
            running.cancel()
            _ = await running.result
        }
    }

    struct CoordinatorDidNotListen: Error, CustomStringConvertible {
        var description: String { "the in-process coordinator did not listen within 10 s" }
    }
}
