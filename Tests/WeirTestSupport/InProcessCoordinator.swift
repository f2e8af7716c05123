import WeirCoordinator
import WeirWire

/// A real coordinator in the test process: its wire protocol on a free loopback port, its
/// partition logs and metadata in a scratch directory, its data path started and shut down
/// around the test.
public enum InProcessCoordinator {
    /// Runs `body` with the coordinator's wire port, then stops the coordinator (also when
    /// `body` throws).
    /// - Parameters:
    ///   - partitions: partitions of its streams.
    ///   - replicationFactor: copies of each checkpoint (1: the owner's only).
    ///   - streams: declared streams and their key fields.
    public static func run(_ name: String, partitions: Int = 4, replicationFactor: Int = 2,
                           streams: [(name: String, keyField: String?)] = [("clicks", "user")],
                           _ body: (_ port: Int) async throws -> Void) async throws {
        var settings = CoordinatorSettings(dataDirectory: TestScratch.directory(name))
        settings.wirePort = 0
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
            try await body(port)
            running.cancel()
            _ = await running.result
        }
    }

    struct CoordinatorDidNotListen: Error, CustomStringConvertible {
        var description: String { "the in-process coordinator did not listen within 10 s" }
    }
}
