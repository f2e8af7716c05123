import Testing
import WeirCore

/// The checkpoint protocol's rules one at a time, with numbers. The seeded simulation
/// (`CheckpointSimulationTests`) drives the same types under faults.
@Suite struct CheckpointOwnerTests {
    let settings = CheckpointOwner.Settings(intervalMilliseconds: 100, deltasPerBase: 4, idleRefreshIntervals: 10)

    @Test func aFreshPartitionStartsWithABase_thenDeltas_thenABaseEveryFourth() {
        var owner = CheckpointOwner(committed: .none, now: 0, settings: settings)
        var kinds: [Bool] = []
        for step in 1...9 {
            guard let capture = owner.begin(now: Int64(step) * 100) else { Issue.record("nothing to capture at step \(step)"); return }
            #expect(capture.seq == UInt64(step))
            kinds.append(capture.isBase)
            let directive = owner.answered(capture, digest: UInt64(step) * 11, progress: UInt64(step), status: .committed, now: Int64(step) * 100)
            #expect(directive == .committed(CommittedCheckpoint(seq: UInt64(step), digest: UInt64(step) * 11)))
        }
        #expect(kinds == [true, false, false, false, true, false, false, false, true])
    }

    @Test func oneCheckpointInFlight_andItsDigestIsWhatTheNextChainsTo() throws {
        var owner = CheckpointOwner(committed: CommittedCheckpoint(seq: 7, digest: 70), now: 0, settings: settings)
        let firstDecided = owner.begin(now: 100)
        let first = try #require(firstDecided)
        #expect(first.seq == 8 && first.previousDigest == 70 && !first.isBase)
        #expect(owner.begin(now: 200) == nil, "a second checkpoint while the first is in flight")
        _ = owner.answered(first, digest: 80, progress: 5, status: .committed, now: 300)
        let secondDecided = owner.begin(now: 400)
        let second = try #require(secondDecided)
        #expect(second.seq == 9 && second.previousDigest == 80)
    }

    @Test func nothingChanged_isSkipped_unlessForcedOrABaseOrARefresh() throws {
        var owner = CheckpointOwner(committed: CommittedCheckpoint(seq: 3, digest: 30), now: 0, settings: settings)
        let cDecided = owner.begin(now: 100)
        let c = try #require(cDecided)
        _ = owner.answered(c, digest: 40, progress: 500, status: .committed, now: 100)
        let quietDecided = owner.begin(now: 200)
        let quiet = try #require(quietDecided)
        #expect(quiet.skipIfProgressIs == 500)
        owner.skipped(quiet)
        let forcedDecided = owner.begin(now: 300, force: true)
        let forced = try #require(forcedDecided)
        #expect(forced.skipIfProgressIs == nil)
        owner.skipped(forced)
        // Ten intervals after the last commit an idle partition checkpoints anyway.
        let refreshDecided = owner.begin(now: 100 + 10 * 100)
        let refresh = try #require(refreshDecided)
        #expect(refresh.skipIfProgressIs == nil)
    }

    @Test func needBase_failure_andReplacedState_makeTheNextABase() throws {
        var owner = CheckpointOwner(committed: CommittedCheckpoint(seq: 5, digest: 50), now: 0, settings: settings)
        let aDecided = owner.begin(now: 1)
        let a = try #require(aDecided)
        #expect(!a.isBase)
        #expect(owner.answered(a, digest: 60, progress: 1, status: .needBase, now: 2) == CheckpointOwner.Directive.none)
        let bDecided = owner.begin(now: 3)
        let b = try #require(bDecided)
        #expect(b.isBase && b.seq == 6, "a standby lacked the predecessor")
        owner.failed(b)
        let cDecided = owner.begin(now: 4)
        let c = try #require(cDecided)
        #expect(c.isBase, "after a failed checkpoint")
        _ = owner.answered(c, digest: 61, progress: 2, status: .committed, now: 5)
        owner.stateReplaced()
        let dDecided = owner.begin(now: 6)
        let d = try #require(dDecided)
        #expect(d.isBase && d.seq == 7 && d.skipIfProgressIs == nil, "rebuilt state starts a new chain")
    }

    @Test func staleRefusedOrUnanswered_stopThePartition_andLateAnswersAreIgnored() throws {
        var owner = CheckpointOwner(committed: .none, now: 0, settings: settings)
        let aDecided = owner.begin(now: 1)
        let a = try #require(aDecided)
        #expect(owner.answered(a, digest: 1, progress: 1, status: .stale, now: 2) == .stopPartition(reason: "checkpoint 1 is stale"))
        #expect(owner.begin(now: 3) == nil, "a stale owner takes no more checkpoints")
        var other = CheckpointOwner(committed: .none, now: 0, settings: settings)
        let bDecided = other.begin(now: 3)
        let b = try #require(bDecided)
        #expect(other.lost(b) == .stopPartition(reason: "no answer to checkpoint 1"))
        #expect(other.answered(b, digest: 1, progress: 1, status: .committed, now: 4) == CheckpointOwner.Directive.none, "an answer after the loss")
        #expect(other.committed == .none)
        // A delta after a lost one would chain to the last known commit and lack what the lost one captured.
        #expect(other.begin(now: 5, force: true) == nil && other.abandoned)
        // An answer to a capture of state that was replaced since is not this state's.
        var third = CheckpointOwner(committed: .none, now: 0, settings: settings)
        let cDecided = third.begin(now: 5)
        let c = try #require(cDecided)
        third.stateReplaced()
        #expect(third.answered(c, digest: 9, progress: 9, status: .committed, now: 6) == CheckpointOwner.Directive.none)
    }

    @Test func settled_onlyWhenNothingMovedSinceTheCommit() throws {
        var owner = CheckpointOwner(committed: .none, now: 0, settings: settings)
        #expect(owner.settled(progress: 0) == nil, "nothing committed here")
        let aDecided = owner.begin(now: 1)
        let a = try #require(aDecided)
        #expect(owner.settled(progress: 0) == nil, "in flight")
        _ = owner.answered(a, digest: 12, progress: 40, status: .committed, now: 2)
        #expect(owner.settled(progress: 40) == CommittedCheckpoint(seq: 1, digest: 12))
        #expect(owner.settled(progress: 41) == nil)
    }
}

@Suite struct CheckpointAuthorityTests {
    let w1 = WorkerIdentity(name: "w1", incarnation: 1)
    let w2 = WorkerIdentity(name: "w2", incarnation: 1)
    let w3 = WorkerIdentity(name: "w3", incarnation: 1)

    func commit(seq: UInt64, replicas: [String], offset: UInt64 = 10) -> CheckpointCommit {
        CheckpointCommit(epoch: 2, seq: seq, digest: seq * 100, offsets: [StreamOffset(stream: "s", offset: offset)], replicas: replicas)
    }

    @Test func admitsOnlyTheCurrentHolder_atTheNextSeq_andCountsStaleWrites() {
        var authority = CheckpointAuthority(replicationFactor: 2, commits: [commit(seq: 4, replicas: ["w1", "w2"]), nil])
        let lease = LeaseRef(partition: 0, epoch: 2)
        #expect(authority.admit(lease, seq: 5, digest: 9, holder: "w1", holderIsCurrent: true) == nil)
        #expect(authority.admit(lease, seq: 6, digest: 9, holder: "w1", holderIsCurrent: true)?.status == .refused)
        #expect(authority.admit(lease, seq: 4, digest: 9, holder: "w1", holderIsCurrent: true)?.status == .refused)
        #expect(authority.admit(lease, seq: 5, digest: 9, holder: "w1", holderIsCurrent: false)?.status == .stale)
        #expect(authority.staleRefused == 1)
        #expect(authority.admit(LeaseRef(partition: 1, epoch: 1), seq: 1, digest: 9, holder: "w3", holderIsCurrent: true) == nil)
    }

    /// Found by the simulation (seed 1930 of 2,000): a duplicated delta whose first copy was
    /// answered need-base committed through its second copy, while the owner's store had already
    /// replaced it by the base with the same seq: a committed checkpoint nobody stored.
    @Test func aCheckpointAnsweredNeedBaseNeverCommitsThroughASecondCopy() {
        var authority = CheckpointAuthority(replicationFactor: 2, commits: [commit(seq: 4, replicas: ["w1", "w2"])])
        let lease = LeaseRef(partition: 0, epoch: 2)
        authority.askedForBase(lease, seq: 5, digest: 77)
        #expect(authority.admit(lease, seq: 5, digest: 77, holder: "w1", holderIsCurrent: true)?.status == .needBase)
        #expect(authority.admit(lease, seq: 5, digest: 78, holder: "w1", holderIsCurrent: true) == nil, "the base that follows it")
        _ = authority.committed(commit(seq: 5, replicas: ["w1", "w2"]), partition: 0, workers: 2, now: 0)
        #expect(authority.admit(lease, seq: 6, digest: 77, holder: "w1", holderIsCurrent: true) == nil)
    }

    @Test func standbys_preferTheChosenOne_thenWorkersStoringTheChain_onlyLiveOnes() {
        let authority = CheckpointAuthority(replicationFactor: 3, commits: [commit(seq: 1, replicas: ["w1", "w3"])])
        let all = [w1, w2, w3]
        #expect(authority.standbys(for: 0, owner: w1, preferred: w2, connected: all, live: Set(all)) == [w2, w3])
        #expect(authority.standbys(for: 0, owner: w1, preferred: nil, connected: all, live: [w1, w2]) == [w2], "w3 is paused")
        #expect(CheckpointAuthority(replicationFactor: 1, commits: [nil]).standbys(for: 0, owner: w1, preferred: w2, connected: all, live: Set(all)).isEmpty)
    }

    @Test func replicationOutcome_commitsWithWhoStored_orAsksForABase() {
        let authority = CheckpointAuthority(replicationFactor: 3, commits: [nil])
        #expect(authority.outcome(owner: "w1", answers: [("w3", .stored), ("w2", nil)]) == .commit(replicas: ["w1", "w3"], missing: ["w2"]))
        #expect(authority.outcome(owner: "w1", answers: [("w2", .stored), ("w3", .needBase)]) == .needBase(standby: "w3"))
    }

    @Test func aCommitLetsTheLogGo_onlyWithAsManyCopiesAsTheClusterHolds() {
        var authority = CheckpointAuthority(replicationFactor: 2, commits: [nil])
        #expect(authority.committed(commit(seq: 1, replicas: ["w1"]), partition: 0, workers: 2, now: 5).isEmpty)
        #expect(authority.committed(commit(seq: 2, replicas: ["w1", "w2"], offset: 30), partition: 0, workers: 2, now: 6)
                == [.truncateLog(partition: 0, before: [StreamOffset(stream: "s", offset: 30)])])
        #expect(authority.committed(commit(seq: 3, replicas: ["w1"], offset: 40), partition: 0, workers: 1, now: 7).count == 1,
                "a lone worker is all the room there is")
        #expect(authority.committedCount == 3 && authority.committedAt[0] == 7)
        #expect(authority.committedCheckpoint(of: 0) == CommittedCheckpoint(seq: 3, digest: 300))
    }

    @Test func stateSource_asksAPromptReplica_elseSaysWhyNot() {
        let authority = CheckpointAuthority(replicationFactor: 3, commits: [commit(seq: 2, replicas: ["w1", "w2", "w3"])])
        let lease = LeaseRef(partition: 0, epoch: 3)
        func source(_ heard: [WorkerIdentity: Int64], connected: [WorkerIdentity], current: Bool = true, seq: UInt64 = 2) -> CheckpointAuthority.StateSource {
            authority.stateSource(for: lease, seq: seq, digest: seq * 100, requester: w3, requesterIsCurrent: current,
                                  connected: connected, live: Set(connected), lastHeard: heard, now: 1_000, promptWithin: 500)
        }
        #expect(source([w1: 900, w2: 950], connected: [w1, w2, w3]) == .replica(source: w1, others: [w2]))
        #expect(source([w1: 100, w2: 950], connected: [w1, w2, w3]) == .replica(source: w2, others: []))
        #expect(source([w1: 100, w2: 100], connected: [w1, w2, w3]) == .none(why: StateTransfer.replicasSilent))
        #expect(source([:], connected: [w3]) == .none(why: StateTransfer.noReplicaConnected))
        #expect(source([w1: 900], connected: [w1, w3], seq: 1) == .none(why: "checkpoint 1 is not the committed one of partition 0"))
        #expect(source([w1: 900], connected: [w1, w3], current: false) == .none(why: "epoch 3 of partition 0 is not current"))
    }
}
