import Foundation
import Testing
import WeirCoordinator
import WeirCore
import WeirTestSupport
import WeirWire
@testable import WeirTools

/// The replay client called directly, against a real coordinator in this process (its wire
/// protocol on a free port, its partition logs on disk).
@Suite struct ReplayClientTests {
    /// Runs `body` with the address of a coordinator that has stream `clicks` (keyed by user).
    static func withCoordinator(_ name: String, _ body: (String) async throws -> Void) async throws {
        try await InProcessCoordinator.run(name) { port in try await body("127.0.0.1:\(port)") }
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
