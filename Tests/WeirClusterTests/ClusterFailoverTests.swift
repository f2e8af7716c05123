import Foundation
import Testing

/// Lease loss and partition moves with real processes; results must stay exact.
extension ClusterTests { @Suite struct Failover {
    /// Replays `recording` in the background; returns the process to wait on.
    static func replay(_ h: ClusterHarness, _ recording: String, rate: String) throws -> Process {
        try h.spawn(["replay", recording, "--stream", "clicks", "--coordinator", "127.0.0.1:\(h.wirePort)", "--rate", rate], log: "replay.log")
    }

    /// Replays `recording` to its end; the replay must succeed.
    static func replayToEnd(_ h: ClusterHarness, _ recording: String, rate: String) throws {
        let replay = try replay(h, recording, rate: rate)
        replay.waitUntilExit()
        #expect(replay.terminationStatus == 0, "\(h.log("replay.log"))")
    }

    /// A coordinator and workers w1–w3 with the sample jobs, a 60 k-event recording replayed to
    /// its end at 30 k/s and processed; returns the reference rollups.
    static func threeWorkersCaughtUp(_ h: ClusterHarness, seed: Int, leaseTTL: String, coordinator extra: [String] = []) async throws -> [String: String] {
        let (recording, reference) = try ClusterTests.Integration.fixture(h, events: "60k", seed: seed)
        try await h.startCoordinator(leaseTTL: leaseTTL, extra: extra)
        for w in ["w1", "w2", "w3"] { try h.startWorker(w) }
        try ClusterTests.Integration.submitSampleJobs(h)
        try replayToEnd(h, recording, rate: "30k/s")
        try await h.waitUntilCaughtUp()
        return reference
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
        try await h.waitForProcessed(20_000)  // mid-replay, both owners reading
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

    /// Every partition's committed checkpoint at two live workers: its holder and a standby.
    static func standbys(_ h: ClusterHarness) async throws -> [Int: (holder: String, standby: String?)] {
        var out: [Int: (holder: String, standby: String?)] = [:]
        for p in try await h.status()["partitions"] as? [[String: Any]] ?? [] {
            guard let n = p["partition"] as? Int, let holder = p["holder"] as? String else { continue }
            out[n] = (holder, p["standby"] as? String)
        }
        return out
    }

    @Test func anIdlePartitionWhoseStandbyDiedGetsANewStandby() async throws {
        let h = ClusterHarness(name: "restandby")
        defer { h.shutdown() }
        let (recording, reference) = try ClusterTests.Integration.fixture(h, events: "20k", seed: 24)
        try await h.startCoordinator(leaseTTL: "1s")
        for w in ["w1", "w2", "w3"] { try h.startWorker(w) }
        try ClusterTests.Integration.submitSampleJobs(h)
        try Self.replayToEnd(h, recording, rate: "100k/s")
        try await h.waitUntilCaughtUp()
        try await h.waitFor("every partition to have a standby", seconds: 30) {
            let all = try await Self.standbys(h)
            return all.count == 16 && all.values.allSatisfy { $0.standby != nil && $0.standby != $0.holder }
        }
        // Wait until nothing moves any more (no events, idle watermarks advanced: checkpoints
        // cover the same offsets), then kill the standby of partition 0 for good; it stands by
        // for other partitions too.
        func offsets() async throws -> [Int] {
            let partitions = try await h.status()["partitions"] as? [[String: Any]] ?? []
            return partitions.map { ($0["checkpoint"] as? [String: Any])?["offset"] as? Int ?? -1 }
        }
        var last = try await offsets()
        try await h.waitFor("checkpoints to stop advancing (the cluster is idle)", seconds: 60) {
            try await Task.sleep(for: .seconds(3))
            let now = try await offsets()
            defer { last = now }
            return now == last
        }
        let before = try await Self.standbys(h)
        let victim = try #require(before[0]?.standby)
        h.signal(victim, SIGKILL)
        // Idle partitions still checkpoint every ~10 s, so each gets a live standby again (without
        // that, those whose owner lives on would keep the dead standby until events arrive).
        try await h.waitFor("every partition to have a live standby again", seconds: 40) {
            let all = try await Self.standbys(h)
            return all.count == 16 && all.values.allSatisfy { $0.holder != victim && $0.standby != nil && $0.standby != victim && $0.standby != $0.holder }
        }
        try await ClusterTests.Integration.expectRollupsEqualReference(h, reference)
    }

    /// With 3 copies, an owner killed while a standby of its partitions is paused leaves every
    /// partition's committed checkpoint on the one live worker: it restores all 16 from its own
    /// store, asking no replica (with 2 copies it would wait for the paused or killed one).
    @Test func anOwnerAndAStandbyFailingTogetherRestoreFromTheThirdCopy() async throws {
        let h = ClusterHarness(name: "replication3")
        defer { h.shutdown() }
        let reference = try await Self.threeWorkersCaughtUp(h, seed: 25, leaseTTL: "1s", coordinator: ["--replication", "3"])
        try await h.waitFor("every partition's checkpoint to be stored by all three workers", seconds: 60) {
            let replicas = try await h.checkpointReplicas()
            return replicas.count == 16 && replicas.values.allSatisfy { Set($0) == ["w1", "w2", "w3"] }
        }
        let killed = try #require(try await h.holders()[0])
        let others = ["w1", "w2", "w3"].filter { $0 != killed }
        let (paused, survivor) = (others[0], others[1])
        h.signal(paused, SIGSTOP)
        h.signal(killed, SIGKILL)
        try await h.waitFor("\(survivor) to hold every partition", seconds: 30) {
            let holders = try await h.holders()
            return holders.count == 16 && Set(holders.values) == [survivor]
        }
        try await h.waitUntilCaughtUp()
        let log = h.log("\(survivor).log")
        #expect(log.contains("restored partition"), "\(survivor) restored nothing:\n\(log.suffix(3000))")
        #expect(!log.contains("asking a replica"), "\(survivor) fetched state it should have stored:\n\(log.suffix(3000))")
        h.signal(paused, SIGCONT)
        // The resumed worker gets partitions back; answers are compared once they have settled.
        try await h.waitUntilBalanced(workers: 2)
        try await ClusterTests.Integration.expectRollupsEqualReference(h, reference)
    }

    /// A double fault with two copies: partition 0's owner is killed while its standby is
    /// paused. The third worker has no copy of the committed checkpoint and the one replica is
    /// connected but silent, so instead of waiting for it (its lease alone takes a TTL to lapse)
    /// the new owner rebuilds from older state it holds, or none, by processing the log; the
    /// results stay exact.
    @Test func anOwnerLostWhileItsStandbyIsPausedRebuildsFromTheLogWithoutWaiting() async throws {
        let h = ClusterHarness(name: "double-fault")
        defer { h.shutdown() }
        let reference = try await Self.threeWorkersCaughtUp(h, seed: 27, leaseTTL: "3s")
        var replicas: [String] = []
        try await h.waitFor("partition 0's checkpoint to have two copies", seconds: 60) {
            replicas = try await h.checkpointReplicas()[0] ?? []
            return replicas.count == 2
        }
        let killed = try #require(try await h.holders()[0])
        let paused = try #require(replicas.first { $0 != killed })
        let survivor = try #require(["w1", "w2", "w3"].first { $0 != killed && $0 != paused })
        h.signal(paused, SIGSTOP)
        h.signal(killed, SIGKILL)
        try await h.waitFor("\(survivor) to run partition 0", seconds: 30) {
            h.log("\(survivor).log").contains("restored partition 0 ")
        }
        let log = h.log("\(survivor).log")
        #expect(log.contains("partition 0: no replica ships checkpoint"), "\(survivor) did not rebuild from the log:\n\(log.suffix(3000))")
        try await h.waitUntilCaughtUp()
        h.signal(paused, SIGCONT)
        try await h.waitUntilBalanced(workers: 2)
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
        try await h.waitForProcessed(20_000)  // mid-replay
        try h.startWorker("w3")
        // w2 may have taken all 16 before w1 registered; the rebalance then moves some to w1 and
        // some to w3, in either order. Only when w1 holds some does its leaving revoke anything.
        try await h.waitFor("every worker to hold partitions", seconds: 60) {
            Set(try await h.holders().values).isSuperset(of: ["w1", "w2", "w3"])
        }
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
