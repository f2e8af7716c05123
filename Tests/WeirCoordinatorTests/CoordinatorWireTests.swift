import Foundation
import NIOCore
import Testing
import WeirCodec
import WeirCore
import WeirCoordinator
import WeirTestSupport
import WeirWire

/// A real coordinator in this process, driven over its wire protocol by the test playing a
/// producer and a worker: ingest acknowledged only once durable and fetchable, classified
/// refusals, and the fencing and sequencing of checkpoints.
@Suite(.timeLimit(.minutes(2))) struct CoordinatorWireTests {
    static let events = (0..<40).map { #"{"ts":\#(1_000 * $0),"user":"u\#($0 % 9)","page":"/p\#($0 % 4)"}"# }

    /// Runs `body` with the wire address of a coordinator with stream `clicks` keyed by user,
    /// `partitions` partitions and only the owner's copy of each checkpoint; stops it afterwards.
    static func withCoordinator(_ name: String, partitions: Int = 2,
                                _ body: (_ host: String, _ port: Int) async throws -> Void) async throws {
        try await InProcessCoordinator.run(name, partitions: partitions, replicationFactor: 1) { port in
            try await body("127.0.0.1", port)
        }
    }

    /// Sends `messages` on a new connection and returns the first reply each `until` accepts.
    static func exchange(_ host: String, _ port: Int, _ messages: [WireMessage],
                         until done: @escaping (WireMessage) -> Bool) async throws -> [WireMessage] {
        let connection = try await WireEndpoint.connect(host: host, port: port)
        return try await connection.executeThenClose { inbound, outbound in
            for m in messages { try await outbound.write(m.encodedFrame()) }
            var replies: [WireMessage] = []
            for try await frame in inbound {
                let message = try frame.decode()
                replies.append(message)
                if done(message) { break }
            }
            return replies
        }
    }

    @Test func ingestIsAcknowledgedOnceDurable_andEveryEventIsFetchableFromItsPartition() async throws {
        try await Self.withCoordinator("coordinator-wire-ingest") { host, port in
            let lines = Array((Self.events.joined(separator: "\n") + "\n\n{not json}\n").utf8)
            let replies = try await Self.exchange(host, port, [.ingest(seq: 1, stream: "clicks", lines: lines)]) {
                if case .ingestReply = $0 { return true } else { return false }
            }
            guard case .ingestReply(let seq, let accepted, let rejected, let problems, let error) = replies.last else {
                Issue.record("no ingest reply: \(replies)")
                return
            }
            #expect(seq == 1 && accepted == 40 && rejected == 1 && error == nil)
            #expect(problems.map(\.line) == [42] && problems.first?.reason == "invalid_json", "\(problems)")

            // A worker holding both partitions reads every accepted event back, each exactly once.
            try await ScriptedWorker.session(host, port) { worker in
                let leases = try await worker.waitForGrants(2)
                var fetched: [String] = []
                for lease in leases {
                    let chunk = try await worker.fetch(lease, stream: "clicks", from: 0)
                    #expect(chunk.firstOffset == 0 && chunk.durableEnd == UInt64(chunk.count))
                    fetched += String(decoding: chunk.lines, as: UTF8.self).split(separator: "\n").map(String.init)
                }
                #expect(fetched.sorted() == Self.events.sorted())
            }
        }
    }

    @Test func aBatchForAStreamThatIsNotDeclaredIsRefusedAsTheSendersMistake() async throws {
        try await Self.withCoordinator("coordinator-wire-unknown") { host, port in
            let replies = try await Self.exchange(host, port, [.ingest(seq: 7, stream: "nope", lines: Array("{}\n".utf8))]) {
                if case .ingestReply = $0 { return true } else { return false }
            }
            guard case .ingestReply(7, 0, 0, _, let error?) = replies.last else {
                Issue.record("expected a refusal of batch 7: \(replies)")
                return
            }
            #expect(error.kind == .notFound && error.code == "unknown_stream" && error.origin == .user && !error.isRetryable)
            #expect(error.message.contains("'nope'") && error.message.contains("clicks"), "\(error.message)")
        }
    }

    @Test func aConnectionThatStartsWithAnythingElseIsToldWhyAndClosed() async throws {
        try await Self.withCoordinator("coordinator-wire-protocol") { host, port in
            let replies = try await Self.exchange(host, port, [.leave]) { _ in false }
            #expect(replies == [.failure(.badRequest("protocol", "a connection must start with hello or ingest"))])
        }
    }

    @Test func checkpointsAreFencedBySeqAndEpoch_andTheNextOneCommits() async throws {
        try await Self.withCoordinator("coordinator-wire-checkpoints", partitions: 1) { host, port in
            try await ScriptedWorker.session(host, port) { worker in
                let lease = try #require(try await worker.waitForGrants(1).first)
                func send(epoch: UInt64, seq: UInt64, previous: UInt64 = 0) async throws -> (CheckpointStatus, String, UInt64) {
                    let sealed = try CheckpointBlob.seal(kind: seq == 1 ? .base : .delta, partition: lease.partition, epoch: epoch,
                                                         seq: seq, previousDigest: previous, jobs: [])
                    let answer = try await worker.checkpoint(LeaseRef(partition: lease.partition, epoch: epoch), seq: seq,
                                                             digest: sealed.header.digest, blob: sealed.bytes)
                    return (answer.status, answer.message, sealed.header.digest)
                }
                let skipped = try await send(epoch: lease.epoch, seq: 2)
                #expect(skipped.0 == .refused && skipped.1.contains("expects checkpoint 1, got 2"), "\(skipped.1)")
                let zombie = try await send(epoch: lease.epoch + 1, seq: 1)
                #expect(zombie.0 == .stale, "an epoch the coordinator never granted: \(zombie.1)")
                let first = try await send(epoch: lease.epoch, seq: 1)
                #expect(first.0 == .committed, "\(first.1)")
                let again = try await send(epoch: lease.epoch, seq: 1)
                #expect(again.0 == .refused, "a commit is made once: \(again.1)")
                let next = try await send(epoch: lease.epoch, seq: 2, previous: first.2)
                #expect(next.0 == .committed, "\(next.1)")
            }
        }
    }
}
