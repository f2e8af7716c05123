import Foundation
import Testing
import WeirCoordinator
import WeirCore
import WeirStore
import WeirTestSupport
import WeirWire
@testable import WeirTools

/// The replay client called directly, against a real coordinator in this process (its wire
/// protocol on a free port, its partition logs on disk).
@Suite struct ReplayClientTests {
    /// Runs `body` with the address of a coordinator that has stream `clicks` (keyed by user).
    static func withCoordinator(_ name: String, _ body: (String) async throws -> Void) async throws {
        try await InProcessCoordinator.run(name) { port, _ in try await body("127.0.0.1:\(port)") }
    }

    static func file(_ name: String, _ text: String) throws -> String {
        let path = TestScratch.directory("replay-client-file") + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func plainNDJSONWithBlankLinesIsSentWholeAndAcknowledged() async throws {
        let lines = (0..<50).map { #"{"ts":\#(1_000 * $0),"user":"u\#($0 % 7)","page":"/p\#($0 % 3)"}"# }
        let text = lines[..<20].joined(separator: "\n") + "\n\n   \n" + lines[20...].joined(separator: "\n") + "\n"
        let path = try Self.file("blank.ndjson", text)
        try await Self.withCoordinator("replay-client-blank") { address in
            var settings = ReplayClient.Settings(recording: path)
            settings.stream = "clicks"
            settings.coordinator = address
            let outcome = try await ReplayClient(settings).run()
            #expect(outcome.sent == 50 && outcome.accepted == 50 && outcome.rejected == 0, "\(outcome)")
        }
    }

    @Test func aStreamTheCoordinatorDoesNotHaveIsRefusedAsTheUsersMistake() async throws {
        let path = try Self.file("one.ndjson", #"{"ts":1,"user":"u","page":"/"}"# + "\n")
        try await Self.withCoordinator("replay-client-unknown") { address in
            var settings = ReplayClient.Settings(recording: path)
            settings.stream = "nope"
            settings.coordinator = address
            do {
                _ = try await ReplayClient(settings).run()
                Issue.record("a replay into an unknown stream succeeded")
            } catch let error as ToolError {
                #expect(error.origin == .user, "\(error)")
                #expect(error.message.contains("nope") && error.message.contains("0 events were acknowledged"), "\(error.message)")
            }
        }
    }

    /// A port nothing listens on now (bound and released), for a coordinator restarted on it.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        try #require(bound, "cannot bind a loopback port")
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// The coordinator stops while the replay is under way and starts again on its directory:
    /// the replay reconnects, resends what was not acknowledged, and finishes; the log holds
    /// every event once.
    @Test(.timeLimit(.minutes(5)))
    func aReplayRidesThroughACoordinatorRestart_andEveryEventIsInTheLogOnce() async throws {
        let directory = TestScratch.directory("replay-client-restart")
        let port = try Self.freePort()
        let events = (0..<20_000).map { #"{"ts":\#($0),"user":"u\#($0 % 97)","page":"/p\#($0 % 5)"}"# }
        let path = try Self.file("restart.ndjson", events.joined(separator: "\n") + "\n")
        var settings = ReplayClient.Settings(recording: path)
        settings.stream = "clicks"
        settings.coordinator = "127.0.0.1:\(port)"
        settings.batchBytes = 8 << 10
        settings.window = 4
        settings.pace = .rate(eventsPerSecond: 20_000)
        settings.reconnectFor = .seconds(60)
        let client = ReplayClient(settings)
        var running: Task<ReplayClient.Outcome, any Error>?
        try await InProcessCoordinator.run("", partitions: 4, replicationFactor: 1, dataDirectory: directory, port: port) { _, coordinator in
            running = Task { try await client.run() }
            // Stopped once a fifth of the events are in: the rest is sent, and some resent, to the next one.
            let deadline = ContinuousClock.now + .seconds(60)
            while await coordinator.clusterStatus().eventsAccepted < 4_000, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(5))
            }
        }
        let replay = try #require(running)
        try await InProcessCoordinator.run("", partitions: 4, replicationFactor: 1, dataDirectory: directory, port: port) { _, _ in
            let outcome = try await replay.value
            #expect(outcome.sent == 20_000 && outcome.accepted == 20_000 && outcome.rejected == 0, "\(outcome)")
            #expect(outcome.reconnections >= 1, "\(outcome)")
        }
        var logged: [String] = []
        for partition in 0..<4 {
            let log = try PartitionLog(root: directory + "/log/clicks", partition: partition)
            logged += String(decoding: try log.read(from: 0, maxBytes: 64 << 20).lines, as: UTF8.self).split(separator: "\n").map(String.init)
        }
        #expect(logged.count == 20_000)
        #expect(logged.sorted() == events.sorted(), "every event once")
    }

    @Test func aCoordinatorThatIsNotThereIsNamedWithItsAddress() async throws {
        let path = try Self.file("one.ndjson", #"{"ts":1,"user":"u","page":"/"}"# + "\n")
        var settings = ReplayClient.Settings(recording: path)
        settings.stream = "clicks"
        settings.coordinator = "127.0.0.1:1"
        do {
            _ = try await ReplayClient(settings).run()
            Issue.record("a replay to a closed port succeeded")
        } catch let error as ToolError {
            #expect(error.origin == .external)
            #expect(error.message.contains("cannot reach the coordinator at 127.0.0.1:1"), "\(error.message)")
        }
    }
}
