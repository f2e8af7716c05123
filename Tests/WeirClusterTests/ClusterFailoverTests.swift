import Foundation
import Testing

/// Lease loss and partition moves with real processes; results must stay exact.
extension ClusterTests { @Suite struct Failover {
    /// Replays `recording` in the background; returns the process to wait on.
    static func replay(_ h: ClusterHarness, _ recording: String, rate: String) throws -> Process {
        try h.spawn(["replay", recording, "--stream", "clicks", "--coordinator", "127.0.0.1:\(h.wirePort)", "--rate", rate], log: "replay.log")
    }

    @Test func aWorkerPausedPastItsLeaseLosesItsPartitions_andItsLateRequestsAreRefused() async throws {
        let h = ClusterHarness(name: "sigstop")
        defer { h.shutdown() }
        let (recording, reference) = try ClusterTests.Integration.fixture(h, events: "100k", seed: 22)
        try await h.startCoordinator(leaseTTL: "1s")
        try h.startWorker("w1")
        try h.startWorker("w2")
        try ClusterTests.Integration.submitSampleJobs(h)
        try await h.waitFor("both workers to hold partitions", seconds: 30) { Set(try await h.holders().values) == ["w1", "w2"] }
        let replay = try Self.replay(h, recording, rate: "40k/s")
        try await Task.sleep(for: .milliseconds(700))
        h.signal("w1", SIGSTOP)
        // Past the TTL, every partition belongs to w2.
        try await h.waitFor("w2 to hold every partition", seconds: 30) {
            let holders = try await h.holders()
            return holders.count == 16 && Set(holders.values) == ["w2"]
        }
        h.signal("w1", SIGCONT)
        // w1 resumes believing nothing: its own clock says its leases lapsed, or the coordinator says stale.
        try await h.waitFor("w1 to drop its old partitions", seconds: 30) {
            h.log("w1.log").contains("expired") || h.log("w1.log").contains("stale")
        }
        replay.waitUntilExit()
        #expect(replay.terminationStatus == 0, "\(h.log("replay.log"))")
        try await ClusterTests.Integration.expectRollupsEqualReference(h, reference)
    }

    @Test func partitionsMoveWhenAWorkerJoinsAndWhenOneLeavesCleanly() async throws {
        let h = ClusterHarness(name: "rebalance")
        defer { h.shutdown() }
        let (recording, reference) = try ClusterTests.Integration.fixture(h, events: "100k", seed: 23)
        try await h.startCoordinator()
        try h.startWorker("w1")
        try h.startWorker("w2")
        try ClusterTests.Integration.submitSampleJobs(h)
        let replay = try Self.replay(h, recording, rate: "30k/s")
        try await Task.sleep(for: .milliseconds(800))
        try h.startWorker("w3")
        try await h.waitFor("w3 to get partitions", seconds: 30) { try await h.holders().values.contains("w3") }
        h.signal("w1", SIGTERM)  // leaves cleanly: its partitions are revoked, released and regranted
        try await h.waitFor("w1's partitions to move", seconds: 30) {
            let holders = try await h.holders()
            return holders.count == 16 && !holders.values.contains("w1")
        }
        #expect(h.log("w1.log").contains("revoked"), "w1 stopped its partitions because they were revoked")
        replay.waitUntilExit()
        #expect(replay.terminationStatus == 0, "\(h.log("replay.log"))")
        try await ClusterTests.Integration.expectRollupsEqualReference(h, reference)
        #expect(Set(try await h.holders().values) == ["w2", "w3"])
    }
}
}
