import Foundation
import Testing
import WeirTestSupport

/// `weir replay` is an idempotent producer: when its coordinator is killed (-9) and restarted
/// mid-replay, it reconnects, sends again what was not acknowledged, finishes with exit 0, and
/// every rollup equals the reference — no event lost, none counted twice.
extension ClusterTests { @Suite struct ExactlyOnceProducer {
    @Test func aReplayRidesThroughACoordinatorKilledAndRestarted_andTheRollupsAreExact() async throws {
        let h = ClusterHarness(name: "producer-restart")
        defer { h.shutdown() }
        let (recording, reference) = try Integration.fixture(h, events: "200k", seed: 23)
        try await h.startCoordinator()
        try h.startWorker("w1")
        try h.startWorker("w2")
        try Integration.submitSampleJobs(h)
        let replay = try h.spawn(["replay", recording, "--stream", "clicks", "--coordinator", "127.0.0.1:\(h.wirePort)",
                                  "--rate", "50k/s", "--batch-bytes", "65536"], log: "replay.log")
        defer { if replay.isRunning { kill(replay.processIdentifier, SIGKILL) } }
        // Killed once a quarter of the events are acknowledged: batches are on the wire, some
        // durable and not acknowledged.
        try await h.waitFor("50k events acknowledged", seconds: 120) {
            let events = (try? await h.status())?["events"] as? [String: Any]
            return (events?["accepted"] as? Int ?? 0) >= 50_000
        }
        try await h.restartCoordinator()
        try await h.waitFor("the replay to finish", seconds: 180) { !replay.isRunning }
        let log = h.log("replay.log")
        #expect(replay.terminationStatus == 0, "\(log)")
        #expect(log.contains("sent 200000, accepted 200000, rejected 0"), "\(log)")
        // One kill; a connection made while the killed process's socket was still closing counts too.
        #expect(log.contains("rode through ") && log.contains("lost connection(s) to the coordinator"), "\(log)")
        try await Integration.expectRollupsEqualReference(h, reference)
    }
}
}

extension ClusterTests.ExactlyOnceProducer {
    /// HTTP ingest with `Weir-Producer-Id` and `Weir-Producer-Seq`: a resent batch is answered
    /// as a duplicate and counted once; malformed or half headers are refused with the reason.
    @Test func httpIngestWithProducerHeadersAppendsABatchOnce() async throws {
        let h = ClusterHarness(name: "producer-http")
        defer { h.shutdown() }
        try await h.startCoordinator()
        let body = Data((0..<10).map { #"{"ts":\#($0),"user":"u\#($0)","page":"/"}"# }.joined(separator: "\n").utf8)
        func send(_ headers: [String: String]) async throws -> (Int, [String: Any]) {
            let (status, data) = try await h.request("POST", "/v1/streams/clicks/events", body: body, headers: headers)
            return (status, (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:])
        }
        let producer = ["Weir-Producer-Id": "77", "Weir-Producer-Seq": "1"]
        let first = try await send(producer)
        #expect(first.0 == 200 && first.1["accepted"] as? Int == 10 && first.1["duplicate"] == nil, "\(first)")
        let again = try await send(producer)
        #expect(again.0 == 200 && again.1["accepted"] as? Int == 10 && again.1["duplicate"] as? Bool == true, "\(again)")
        let events = try await h.status()["events"] as? [String: Any]
        #expect(events?["accepted"] as? Int == 10, "a resend is not counted again: \(events ?? [:])")

        let half = try await send(["Weir-Producer-Id": "77"])
        #expect(half.0 == 400 && "\(half.1)".contains("send Weir-Producer-Id and Weir-Producer-Seq together"), "\(half)")
        let zero = try await send(["Weir-Producer-Id": "77", "Weir-Producer-Seq": "0"])
        #expect(zero.0 == 400 && "\(zero.1)".contains("Weir-Producer-Seq \\\"0\\\""), "\(zero)")
        // Without the headers: at-least-once, appended again.
        let plain = try await send([:])
        #expect(plain.0 == 200 && plain.1["duplicate"] == nil)
        #expect((try await h.status()["events"] as? [String: Any])?["accepted"] as? Int == 20)
    }
}
