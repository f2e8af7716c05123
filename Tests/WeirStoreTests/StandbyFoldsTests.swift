import Testing
import WeirCodec
import WeirCore
@testable import WeirStore

/// The warm standby's in-memory folds: a restore from them equals a restore from the stored chain.
@Suite struct StandbyFoldsTests {
    typealias Blob = (bytes: [UInt8], header: CheckpointBlob.Header)

    /// A base and `deltas` deltas of partition 3, stored, in order.
    func storedChain(_ store: CheckpointStore, deltas: Int, epoch: UInt64 = 1) throws -> [Blob] {
        var blobs = [try CheckpointStoreTests.blob(.base, epoch: epoch, seq: 1, previous: 0)]
        for seq in 2...UInt64(deltas + 1) {
            blobs.append(try CheckpointStoreTests.blob(.delta, epoch: epoch, seq: seq, previous: blobs[blobs.count - 1].header.digest))
        }
        for b in blobs { #expect(try store.store(b.bytes, partition: 3) == .stored) }
        return blobs
    }

    func committed(_ b: Blob) -> CommittedCheckpoint { CommittedCheckpoint(seq: b.header.seq, digest: b.header.digest) }

    func rebuilt(_ store: CheckpointStore, _ b: Blob) throws -> [JobCheckpoint] {
        try CheckpointChain.rebuild(store.chain(partition: 3, upTo: b.header.seq, digest: b.header.digest), partition: 3).jobs
    }

    @Test func aFoldKeptCurrentRestoresExactlyWhatTheChainRebuilds() throws {
        let store = try CheckpointStore(directory: CheckpointStoreTests.tempDir())
        let blobs = try storedChain(store, deltas: 4)
        let folds = StandbyFolds()
        for b in blobs { folds.advance(partition: 3, blob: b.bytes, store: store) }
        // The newest and the one before it (an owner lost before its commit) are both there.
        #expect(folds.keptSeqs(partition: 3) == [5, 4])
        #expect(folds.jobs(partition: 3, committed: committed(blobs[3])) == (try rebuilt(store, blobs[3])))
        #expect(folds.jobs(partition: 3, committed: committed(blobs[2])) == nil, "older folds are not kept")
        // Another digest at the same seq (another epoch's history) is never taken from the fold.
        #expect(folds.jobs(partition: 3, committed: CommittedCheckpoint(seq: 5, digest: blobs[4].header.digest ^ 1)) == nil)
        #expect(folds.jobs(partition: 3, committed: committed(blobs[4])) == (try rebuilt(store, blobs[4])))
        // Once the newest is committed, the one before it never will be asked for again.
        #expect(folds.keptSeqs(partition: 3) == [5])
        let taken = folds.take(partition: 3, committed: committed(blobs[4]), store: store).committedJobs
        #expect(taken == (try rebuilt(store, blobs[4])) && taken?.first?.finalCount == 5)
        #expect(folds.jobs(partition: 3, committed: committed(blobs[4])) == nil, "taking removes the fold")
    }

    /// A base copy (a new owner starts its chain over) may not commit either: the fold it
    /// replaces stays as the previous one, so a failover right then still restores from memory.
    @Test func aBaseCopyKeepsTheFoldItReplacesAsThePreviousOne() throws {
        let store = try CheckpointStore(directory: CheckpointStoreTests.tempDir())
        let blobs = try storedChain(store, deltas: 1)
        let base = try CheckpointStoreTests.blob(.base, epoch: 2, seq: 3, previous: blobs[1].header.digest)
        #expect(try store.store(base.bytes, partition: 3) == .stored)
        let folds = StandbyFolds()
        for b in blobs + [base] { folds.advance(partition: 3, blob: b.bytes, store: store) }
        #expect(folds.keptSeqs(partition: 3) == [3, 2])
        #expect(folds.jobs(partition: 3, committed: committed(blobs[1])) == (try rebuilt(store, blobs[1])))
        #expect(folds.jobs(partition: 3, committed: committed(base)) == (try rebuilt(store, base)))
    }

    @Test func aFoldBehindTheCommittedCheckpointCatchesUpFromTheStore() throws {
        let store = try CheckpointStore(directory: CheckpointStoreTests.tempDir())
        let blobs = try storedChain(store, deltas: 5)
        let folds = StandbyFolds()
        for b in blobs.prefix(2) { folds.advance(partition: 3, blob: b.bytes, store: store) }  // copies 3…6 not folded yet
        #expect(folds.take(partition: 3, committed: committed(blobs[5]), store: store).committedJobs == (try rebuilt(store, blobs[5])))
    }

    /// The committed chain went on elsewhere (this worker stopped being its standby): the fold
    /// cannot reach it, and is handed out as older state, a fallback when no replica answers.
    @Test func aFoldThatCannotReachTheCommittedCheckpointIsOfferedAsOlderState() throws {
        let store = try CheckpointStore(directory: CheckpointStoreTests.tempDir())
        let blobs = try storedChain(store, deltas: 3)
        let folds = StandbyFolds()
        for b in blobs.prefix(3) { folds.advance(partition: 3, blob: b.bytes, store: store) }
        let elsewhere = try CheckpointStoreTests.blob(.delta, epoch: 1, seq: 9, previous: 12_345)
        let taken = folds.take(partition: 3, committed: committed(elsewhere), store: store)
        guard case .older(let seq, let jobs) = taken else {
            Issue.record("expected older state, got \(taken)")
            return
        }
        // The pending copy (seq 3) is folded in: it was committed, as a later one is.
        #expect(seq == blobs[2].header.seq)
        #expect(jobs == (try rebuilt(store, blobs[2])))
        #expect(folds.keptSeqs(partition: 3).isEmpty, "taking removes the fold")
    }

    @Test func aCopyThatDoesNotFollowTheFoldStartsOverFromTheStoredChain() throws {
        let store = try CheckpointStore(directory: CheckpointStoreTests.tempDir())
        let blobs = try storedChain(store, deltas: 3)
        let folds = StandbyFolds()
        folds.advance(partition: 3, blob: blobs[3].bytes, store: store)  // the first copy here is a delta
        #expect(folds.jobs(partition: 3, committed: committed(blobs[3])) == (try rebuilt(store, blobs[3])))
        // A corrupt copy drops the fold instead of folding garbage; restores then read the store.
        var bad = blobs[3].bytes
        bad[bad.count / 2] ^= 0xFF
        folds.advance(partition: 3, blob: bad, store: store)
        #expect(folds.jobs(partition: 3, committed: committed(blobs[3])) == nil)
        #expect(folds.take(partition: 3, committed: committed(blobs[3]), store: store).committedJobs == nil)
    }

    /// A restarted worker's folds died with it, but its store still has the chains: folding
    /// them at start gives the newest stored checkpoint and the one before it (what is
    /// committed when the newest was not), and later copies extend that fold.
    @Test func aRestartedWorkerFoldsTheChainsItStillStores() throws {
        let store = try CheckpointStore(directory: CheckpointStoreTests.tempDir())
        let blobs = try storedChain(store, deltas: 3)
        let folds = StandbyFolds()  // a new process
        #expect(try folds.warm(partition: 3, store: store) == 4)
        #expect(try folds.warm(partition: 5, store: store) == nil, "nothing stored, nothing folded")
        #expect(folds.jobs(partition: 3, committed: committed(blobs[2])) == (try rebuilt(store, blobs[2])))
        #expect(folds.jobs(partition: 3, committed: committed(blobs[3])) == (try rebuilt(store, blobs[3])))
        let next = try CheckpointStoreTests.blob(.delta, epoch: 1, seq: 5, previous: blobs[3].header.digest)
        #expect(try store.store(next.bytes, partition: 3) == .stored)
        folds.advance(partition: 3, blob: next.bytes, store: store)
        #expect(folds.keptSeqs(partition: 3) == [5, 4])
        #expect(try folds.warm(partition: 3, store: store) == nil, "a fold kept is not replaced")
        #expect(folds.keptSeqs(partition: 3) == [5, 4])
        #expect(folds.jobs(partition: 3, committed: committed(next)) == (try rebuilt(store, next)))
    }

    /// An owner that hands a partition off keeps its state (captured whole from memory) as a
    /// fold at its committed checkpoint: restoring from it equals the stored chain, the new
    /// owner's next copy extends it, and it never replaces a newer fold.
    @Test func aFoldOfWholeStateInMemoryEqualsTheChainAndTakesTheNextCopy() throws {
        let store = try CheckpointStore(directory: CheckpointStoreTests.tempDir())
        let blobs = try storedChain(store, deltas: 3)
        let atHandOff = blobs[2].header
        let header = CheckpointBlob.Header(kind: .base, partition: 3, epoch: 1, seq: atHandOff.seq, previousDigest: 0, digest: atHandOff.digest)
        let folds = StandbyFolds()
        folds.keep(try CheckpointFold(whole: try rebuilt(store, blobs[2]), header: header, partition: 3))
        #expect(folds.jobs(partition: 3, committed: committed(blobs[2])) == (try rebuilt(store, blobs[2])))
        folds.advance(partition: 3, blob: blobs[3].bytes, store: store)
        #expect(folds.keptSeqs(partition: 3) == [4, 3])
        #expect(folds.jobs(partition: 3, committed: committed(blobs[3])) == (try rebuilt(store, blobs[3])))
        folds.keep(try CheckpointFold(whole: try rebuilt(store, blobs[1]), header: blobs[1].header, partition: 3))
        #expect(folds.keptSeqs(partition: 3) == [4], "an older state does not replace a newer fold")
    }

    /// A copy that was not committed (its standby answered "need a base") comes again as a base
    /// with the same seq: it replaces the pending copy, and the fold before it stays usable.
    @Test func aCopySentAgainAsABaseReplacesThePendingOne() throws {
        let store = try CheckpointStore(directory: CheckpointStoreTests.tempDir())
        let blobs = try storedChain(store, deltas: 2)
        let folds = StandbyFolds()
        for b in blobs { folds.advance(partition: 3, blob: b.bytes, store: store) }
        let again = try CheckpointBlob.seal(kind: .base, partition: 3, epoch: 1, seq: 3, previousDigest: blobs[1].header.digest,
                                            jobs: [CheckpointStoreTests.job(30)])
        #expect(try store.store(again.bytes, partition: 3) == .stored)
        folds.advance(partition: 3, blob: again.bytes, store: store)
        #expect(folds.keptSeqs(partition: 3) == [3, 2])
        #expect(folds.jobs(partition: 3, committed: committed(blobs[2])) == nil, "the replaced copy is gone")
        #expect(folds.jobs(partition: 3, committed: committed(blobs[1])) == (try rebuilt(store, blobs[1])))
        #expect(folds.jobs(partition: 3, committed: committed(again)) == (try rebuilt(store, again)))
        let next = try CheckpointStoreTests.blob(.delta, epoch: 1, seq: 4, previous: again.header.digest)
        #expect(try store.store(next.bytes, partition: 3) == .stored)
        folds.advance(partition: 3, blob: next.bytes, store: store)
        #expect(folds.take(partition: 3, committed: committed(next), store: store).committedJobs == (try rebuilt(store, next)))
    }
}
