import Testing
import WeirCore

/// Where standbys go: spread evenly over the other workers per owner, so that when an owner dies
/// every partition it held fails over to a worker that stores its state.
@Suite struct StandbyPlacementTests {
    let workers = ["w1", "w2", "w3"].map { WorkerIdentity(name: $0, incarnation: 1) }

    /// Three workers sharing 16 partitions, settled, every lease renewed.
    func balancedAuthority() -> LeaseAuthority {
        var authority = LeaseAuthority(partitionCount: 16, persistedEpochs: Array(repeating: 0, count: 16),
                                       settings: LeaseSettings(ttlMilliseconds: 1_000), startedAt: 0, restarted: false)
        authority.preferredHolders = Array(repeating: [], count: 16)
        var now: Int64 = 0
        var directives: [LeaseAuthority.Directive] = []
        for w in workers { directives += authority.workerJoined(w, now: now) }
        for _ in 0..<20 {
            now += 500
            for w in workers {
                let held = (0..<16).compactMap { p in authority.leases[p].flatMap { $0.holder == w ? (p, $0.epoch) : nil } }
                _ = authority.renew(w, leases: held.map { (partition: $0.0, epoch: $0.1) }, now: now)
            }
            directives = authority.tick(now: now)
            for case .revoke(let w, let p, let epoch) in directives { _ = authority.released(w, partition: p, epoch: epoch, now: now) }
        }
        return authority
    }

    func owned(by w: WorkerIdentity, in authority: LeaseAuthority) -> [Int] {
        (0..<16).filter { authority.leases[$0]?.holder == w }
    }

    @Test func standbysSpreadEvenlyPerOwner_evenWhenTheyAllStartedOnOneWorker() throws {
        var authority = balancedAuthority()
        #expect(workers.allSatisfy { (5...6).contains(owned(by: $0, in: authority).count) }, "balanced before the test")
        // Worst start: every partition's committed copy is at its owner and w3 (or w2 for w3's).
        authority.preferredHolders = (0..<16).map { p in
            let owner = authority.leases[p]?.holder.name ?? "w1"
            return [owner, owner == "w3" ? "w2" : "w3"]
        }
        // Two rounds of checkpoints: each commit records where its copy went.
        for _ in 0..<2 {
            for p in 0..<16 {
                let owner = try #require(authority.leases[p]?.holder)
                let standby = try #require(authority.standby(for: p, owner: owner))
                #expect(standby != owner)
                authority.preferredHolders[p] = [owner.name, standby.name]
            }
        }
        for owner in workers {
            let mine = owned(by: owner, in: authority)
            var counts: [String: Int] = [:]
            for p in mine { counts[authority.preferredHolders[p][1], default: 0] += 1 }
            let spread = counts.values.max()! - counts.values.min()!
            #expect(counts.count == 2 && spread <= 1, "\(owner)'s \(mine.count) partitions stand by at \(counts)")
        }
        // The busiest owner dies: each of its partitions goes to the worker holding its copy.
        let victim = try #require(workers.max { owned(by: $0, in: authority).count < owned(by: $1, in: authority).count })
        let lost = owned(by: victim, in: authority)
        let directives = authority.workerDisconnected(victim, now: 100_000)
        var grants: [Int: String] = [:]
        for case .grant(let w, let p, _) in directives { grants[p] = w.name }
        #expect(Set(grants.keys) == Set(lost))
        for p in lost { #expect(grants[p] == authority.preferredHolders[p][1], "partition \(p) went to \(grants[p] ?? "nobody")") }
    }

    @Test func aStandbyStaysWhereItIs_whileTheSpreadIsFair() throws {
        var authority = balancedAuthority()
        for p in 0..<16 {
            let owner = try #require(authority.leases[p]?.holder)
            authority.preferredHolders[p] = [owner.name, try #require(authority.standby(for: p, owner: owner)).name]
        }
        let before = authority.preferredHolders
        for p in 0..<16 {
            let owner = try #require(authority.leases[p]?.holder)
            #expect(authority.standby(for: p, owner: owner)?.name == before[p][1], "partition \(p) would get a new standby (a whole base)")
        }
    }

    @Test func whileARestartedWorkerWarmsUp_aFailoverGoesToTheStandby_evenAboveItsQuota() throws {
        var authority = balancedAuthority()
        for p in 0..<16 {
            let owner = try #require(authority.leases[p]?.holder)
            authority.preferredHolders[p] = [owner.name, try #require(authority.standby(for: p, owner: owner)).name]
        }
        // w1 restarts (an empty process that stores nothing current), then w2 dies at once.
        let now: Int64 = 100_000
        _ = authority.workerDisconnected(workers[0], now: now)
        let restarted = WorkerIdentity(name: "w1", incarnation: 2)
        _ = authority.workerJoined(restarted, now: now + 10)
        for p in 0..<16 where authority.preferredHolders[p].contains("w1") {
            authority.preferredHolders[p].removeAll { $0 == "w1" }  // those copies moved on meanwhile
        }
        let lost = owned(by: workers[1], in: authority)
        let directives = authority.workerDisconnected(workers[1], now: now + 20)
        var grants: [Int: String] = [:]
        for case .grant(let w, let p, _) in directives { grants[p] = w.name }
        #expect(lost.contains { authority.preferredHolders[$0].contains("w3") }, "some of w2's partitions stand by at w3")
        for p in lost where authority.preferredHolders[p].contains("w3") {
            #expect(grants[p] == "w3", "partition \(p) went to \(grants[p] ?? "nobody") instead of w3, which stores it")
        }
    }

    @Test func aLostOwnersPartitionsGoWhereTheirStateIs_thenBalancingMovesSomeAfterATTL() throws {
        var authority = balancedAuthority()
        let w1 = workers[0], w2 = workers[1]
        // Uneven on purpose: every partition of w1 stands by at w2, which is at its quota after the failover.
        for p in 0..<16 {
            let owner = try #require(authority.leases[p]?.holder)
            authority.preferredHolders[p] = [owner.name, owner == w1 ? "w2" : (owner == w2 ? "w3" : "w1")]
        }
        let lost = owned(by: w1, in: authority)
        let w2Before = owned(by: w2, in: authority).count
        let now: Int64 = 10_100  // just after `balancedAuthority`'s last renewals
        var grants: [Int: String] = [:]
        for case .grant(let w, let p, _) in authority.workerDisconnected(w1, now: now) { grants[p] = w.name }
        #expect(lost.allSatisfy { grants[$0] == "w2" }, "every lost partition restores where its state is: \(grants)")
        #expect(owned(by: w2, in: authority).count == w2Before + lost.count)
        // Within a TTL of the grants none of them is taken back (w2's older partitions, whose
        // standbys are at w3, may move at once: warm moves); balancing goes on after it.
        func renewAll(at t: Int64) {
            for w in workers.dropFirst() {
                let held = (0..<16).compactMap { p in authority.leases[p].flatMap { $0.holder == w ? (partition: p, epoch: $0.epoch) : nil } }
                _ = authority.renew(w, leases: held, now: t)
            }
        }
        renewAll(at: now + 500)
        var revoked: [Int] = []
        for case .revoke(_, let p, _) in authority.tick(now: now + 500) { revoked.append(p) }
        #expect(Set(revoked).isDisjoint(with: lost), "just-granted partitions moved again: \(revoked)")
        renewAll(at: now + 1_100)
        for case .revoke(_, let p, _) in authority.tick(now: now + 1_100) { revoked.append(p) }
        #expect(!revoked.isEmpty, "w2 is above its quota: balancing moves partitions")
    }

    /// A double fault: w1 is killed while w2, which stores its partitions' state, is paused but
    /// not yet known to be. The grants go to w2 first; w2 never renews them, so after TTL/3 (not
    /// a whole TTL) they are withdrawn and granted to w3 under new epochs, and w2's late renewal
    /// of them is refused.
    @Test func grantsAPausedWorkerNeverRenewsAreWithdrawnAfterATTLThird() throws {
        var authority = balancedAuthority()
        let (w1, w2, w3) = (workers[0], workers[1], workers[2])
        for p in 0..<16 { authority.preferredHolders[p] = [authority.leases[p]?.holder.name ?? "", "w2"] }
        let lost = owned(by: w1, in: authority)
        let now: Int64 = 10_100
        var first: [Int: (String, UInt64)] = [:]
        for case .grant(let w, let p, let epoch) in authority.workerDisconnected(w1, now: now) { first[p] = (w.name, epoch) }
        #expect(lost.allSatisfy { first[$0]?.0 == "w2" }, "the grants go where the state is: \(first)")
        // w3 keeps renewing; w2 (paused) does not.
        func renewW3(at t: Int64) {
            let held = (0..<16).compactMap { p in authority.leases[p].flatMap { $0.holder == w3 ? (partition: p, epoch: $0.epoch) : nil } }
            _ = authority.renew(w3, leases: held, now: t)
        }
        renewW3(at: now + 300)
        #expect(!authority.tick(now: now + 300).contains { if case .notTakenUp = $0 { true } else { false } }, "within TTL/3 nothing is withdrawn")
        renewW3(at: now + 340)
        let directives = authority.tick(now: now + 340)
        var withdrawn: [Int] = [], regranted: [Int: String] = [:]
        for d in directives {
            if case .notTakenUp(let w, let p, _) = d, w == w2 { withdrawn.append(p) }
            if case .grant(let w, let p, _) = d { regranted[p] = w.name }
        }
        #expect(Set(withdrawn).isSuperset(of: lost), "grants w2 did not renew are withdrawn: \(withdrawn)")
        #expect(lost.allSatisfy { regranted[$0] == "w3" }, "and granted to w3: \(regranted)")
        // w2 resumes and renews what it was granted: every one of them is refused.
        let late = lost.compactMap { p in first[p].map { (partition: p, epoch: $0.1) } }
        #expect(authority.renew(w2, leases: late, now: now + 400).allSatisfy { $0 == .stale })
    }
}
