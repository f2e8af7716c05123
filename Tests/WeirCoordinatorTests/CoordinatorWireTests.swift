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
@Suite(.timeLimit(.minutes(5))) struct CoordinatorWireTests {
    static let events = (0..<40).map { #"{"ts":\#(1_000 * $0),"user":"u\#($0 % 9)","page":"/p\#($0 % 4)"}"# }

    /// Runs `body` with the wire address of a coordinator with stream `clicks` keyed by user,
    /// `partitions` partitions and only the owner's copy of each checkpoint; stops it afterwards.
    static func withCoordinator(_ name: String, partitions: Int = 2,
                                _ body: (_ host: String, _ port: Int) async throws -> Void) async throws {
        try await InProcessCoordinator.run(name, partitions: partitions, replicationFactor: 1) { port, _ in
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
            guard case .ingestReply(let seq, let accepted, let rejected, let problems, let error, _) = replies.last else {
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
            guard case .ingestReply(7, 0, 0, _, let error?, _) = replies.last else {
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

/// Idempotent producers at the coordinator: a resent batch is acknowledged as a duplicate and
/// appended once, also after a restart; a sequence older than the resend window is refused.
@Suite(.timeLimit(.minutes(5))) struct CoordinatorProducerTests {
    static func ingest(_ seq: UInt64, _ range: Range<Int>, producer: UInt64) -> WireMessage {
        .ingest(seq: seq, stream: "clicks", lines: Array((CoordinatorWireTests.events[range].joined(separator: "\n") + "\n").utf8), producer: producer)
    }

    static func replies(_ host: String, _ port: Int, _ messages: [WireMessage]) async throws -> [WireMessage] {
        var answered = 0
        return try await CoordinatorWireTests.exchange(host, port, messages) { reply in
            if case .ingestReply = reply { answered += 1 }
            return answered == messages.count
        }
    }

    static func fetchAll(_ host: String, _ port: Int, partitions: Int) async throws -> [String] {
        var fetched: [String] = []
        try await ScriptedWorker.session(host, port) { worker in
            for lease in try await worker.waitForGrants(partitions) {
                let chunk = try await worker.fetch(lease, stream: "clicks", from: 0)
                fetched += String(decoding: chunk.lines, as: UTF8.self).split(separator: "\n").map(String.init)
            }
        }
        return fetched
    }

    @Test func aResentBatchIsAcknowledgedAsADuplicateAndAppendedOnce_alsoAfterARestart() async throws {
        let directory = TestScratch.directory("coordinator-producer")
        try await InProcessCoordinator.run("", partitions: 2, replicationFactor: 1, dataDirectory: directory) { port, _ in
            let answers = try await Self.replies("127.0.0.1", port, [Self.ingest(1, 0..<20, producer: 42), Self.ingest(1, 0..<20, producer: 42),
                                                                     Self.ingest(2, 20..<30, producer: 42)])
            // Replies of one commit round may come in either order: compared as a set.
            let expected: [WireMessage] = [.ingestReply(seq: 1, accepted: 20, rejected: 0, problems: [], error: nil, duplicate: false),
                                           .ingestReply(seq: 1, accepted: 20, rejected: 0, problems: [], error: nil, duplicate: true),
                                           .ingestReply(seq: 2, accepted: 10, rejected: 0, problems: [], error: nil, duplicate: false)]
            #expect(answers.count == expected.count && expected.allSatisfy(answers.contains), "\(answers)")
        }
        // Restarted on the same directory: the producer state comes back from the logs' marks.
        try await InProcessCoordinator.run("", partitions: 2, replicationFactor: 1, dataDirectory: directory) { port, _ in
            let answers = try await Self.replies("127.0.0.1", port, [Self.ingest(2, 20..<30, producer: 42), Self.ingest(3, 30..<40, producer: 42)])
            let duplicates = answers.map { reply -> Bool? in
                guard case .ingestReply(_, _, _, _, _, let duplicate) = reply else { return nil }
                return duplicate
            }
            #expect(duplicates == [true, false])
            let fetched = try await Self.fetchAll("127.0.0.1", port, partitions: 2)
            #expect(fetched.sorted() == CoordinatorWireTests.events.sorted(), "every event once")
        }
    }

    @Test func aSequenceOlderThanTheResendWindowIsRefused_andAnOlderOneWithinItIsTakenForAResend() async throws {
        try await CoordinatorWireTests.withCoordinator("coordinator-producer-stale") { host, port in
            let newest = ProducerBatch.resendWindow + 10
            let answers = try await Self.replies(host, port, [Self.ingest(newest, 0..<5, producer: 9), Self.ingest(9, 5..<10, producer: 9),
                                                             Self.ingest(10, 10..<15, producer: 9)])
            // A refusal is answered at once, before earlier batches are durable: matched by sequence.
            let bySeq = Dictionary(answers.compactMap { reply -> (UInt64, WireMessage)? in
                guard case .ingestReply(let seq, _, _, _, _, _) = reply else { return nil }
                return (seq, reply)
            }, uniquingKeysWith: { first, _ in first })
            guard case .ingestReply(9, 0, 0, [], let error?, false)? = bySeq[9] else {
                Issue.record("batch 9 was not refused: \(answers)")
                return
            }
            #expect(error.code == "stale_producer_sequence" && error.origin == .user, "\(error)")
            #expect(error.message.contains("its newest is \(newest)"), "\(error.message)")
            // Within the window, an older batch is taken for a resend: acknowledged, not appended.
            guard case .ingestReply(10, 5, 0, [], nil, true)? = bySeq[10] else {
                Issue.record("batch 10 is within the window: \(answers)")
                return
            }
            let fetched = try await Self.fetchAll(host, port, partitions: 2)
            #expect(fetched.sorted() == CoordinatorWireTests.events[0..<5].sorted())
        }
    }
}
