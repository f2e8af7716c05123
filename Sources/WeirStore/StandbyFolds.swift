import WeirCore
import Synchronization
import WeirCodec

/// The checkpoint chains of partitions this worker stands by for, kept folded in memory as their
/// copies arrive (a warm standby): when the owner dies, the restore starts from the fold instead
/// of reading and decoding up to a base's worth of checkpoints while the partition stands still.
///
/// Per partition it holds a fold and, opened but not folded in, the newest copy after it. The
/// coordinator commits a checkpoint only after this worker stored it, so an owner lost in between
/// leaves the fold's checkpoint committed. It forwards checkpoint n + 1 only once n is committed,
/// so the arrival of the next copy is what folds the pending one in. Folding in place costs the
/// size of a copy, not of the state (keeping a second whole fold would copy the state at every
/// checkpoint). A fold is only a cache of what the store holds; a restore uses it only when its
/// (seq, digest) is exactly the committed one, and reads the store otherwise.
public final class StandbyFolds: Sendable {
    private struct Entry {
        /// Folded up to a checkpoint that was committed, or may be (when `pending` is nil).
        var fold: CheckpointFold?
        /// The newest copy, stored here but perhaps not committed: the one after `fold`
        /// (seq + 1, chained digest), or a base with no fold before it.
        var pending: CheckpointFold.Opened?
        var advancedAt: ContinuousClock.Instant

        var newestSeq: UInt64 { pending?.header.seq ?? fold?.header.seq ?? 0 }
        var seqs: [UInt64] { [pending?.header.seq, fold?.header.seq].compactMap { $0 } }

        /// Takes the next copy when it follows the pending one (which is then committed: folded
        /// in) or the fold (the pending one was not committed: replaced), or is a base. False
        /// when it follows neither (the first copy here, or after a gap).
        mutating func accept(_ next: CheckpointFold.Opened, partition p: Int) throws(CheckpointError) -> Bool {
            let header = next.header
            if let pending, pending.header.seq + 1 == header.seq, pending.header.digest == header.previousDigest {
                try settle(partition: p)
            } else if let fold, fold.header.seq + 1 == header.seq, fold.header.digest == header.previousDigest {
                // a copy of the pending seq again (not committed before): it replaces it
            } else if header.kind == .base {
                fold = nil
            } else {
                return false
            }
            pending = next
            return true
        }

        /// Folds the pending copy in (it is committed).
        mutating func settle(partition p: Int) throws(CheckpointError) {
            guard let next = pending else { return }
            pending = nil
            if next.header.kind == .base {
                fold = try CheckpointFold(opened: next, partition: p)
                return
            }
            guard var folded = takeFold() else { throw CheckpointError("partition \(p): delta \(next.header.seq) kept without a fold") }
            try folded.append(opened: next)  // in place: `fold` no longer holds it
            fold = folded
        }

        mutating func takeFold() -> CheckpointFold? {
            defer { fold = nil }
            return fold
        }
    }

    private let entries = Mutex<[Int: Entry]>([:])
    /// A fold not advanced for this long is dropped (its partition is idle or stands by
    /// elsewhere now), so memory holds only state that is being copied here.
    public let idleLimit: Duration

    public init(idleLimit: Duration = .seconds(60)) {
        self.idleLimit = idleLimit
    }

    /// Takes a checkpoint of `partition` this worker just stored as its standby. A copy that
    /// follows the one kept folds that one in (under the lock: the size of one copy); one that
    /// does not (the first one here, or after a gap) starts over from the chain in `store`.
    /// Decoding happens outside the lock. Runs on a data-path thread.
    public func advance(partition p: Int, blob: [UInt8], store: CheckpointStore) {
        let now = ContinuousClock.now
        guard let opened = try? CheckpointBlob.open(blob, partition: p) else {  // checksums once, decodes once
            entries.withLock { _ = $0.removeValue(forKey: p) }
            return
        }
        let followed = entries.withLock { all -> Bool in
            all = all.filter { now - $0.value.advancedAt < idleLimit }
            guard var entry = all.removeValue(forKey: p) else { return false }  // out of the map: folded in place
            guard (try? entry.accept(opened, partition: p)) == true else { return false }
            entry.advancedAt = now
            all[p] = entry
            return true
        }
        if followed { return }
        var entry = Entry(fold: nil, pending: opened, advancedAt: now)
        if opened.header.kind == .delta {
            // Fold the stored chain up to the copy before this one.
            guard let chain = try? store.chain(partition: p, upTo: opened.header.seq, digest: opened.header.digest), chain.count > 1,
                  let fold = try? CheckpointFold(chain: Array(chain.dropLast()), partition: p) else { return }
            entry.fold = fold
        }
        entries.withLock { all in
            if let current = all[p], current.newestSeq >= opened.header.seq { return }  // a later copy won the race
            all[p] = entry
        }
    }

    /// Keeps `fold` as the partition's, unless a newer one is kept already. For a fold built
    /// from state this worker holds in memory at its committed checkpoint: a partition it just
    /// handed off, whose standby it usually becomes.
    public func keep(_ fold: CheckpointFold) {
        let now = ContinuousClock.now
        entries.withLock { all in
            if let current = all[fold.partition], current.newestSeq >= fold.header.seq { return }
            all[fold.partition] = Entry(fold: fold, pending: nil, advancedAt: now)
        }
    }

    /// Folds the chain `store` holds for `partition` up to the checkpoint before its newest
    /// (what is committed when the newest was not) and keeps the newest pending, unless
    /// something is kept already. For a worker that just started: its store still holds the
    /// chains of partitions it owned or stood by for, and a failover that grants one of them here
    /// then restores from memory. Returns the newest seq kept, nil when nothing was.
    @discardableResult
    public func warm(partition p: Int, store: CheckpointStore) throws -> UInt64? {
        guard keptSeqs(partition: p).isEmpty else { return nil }
        let chain = try store.newestChain(partition: p)
        guard let newestBlob = chain.last else { return nil }
        var entry = Entry(fold: try CheckpointFold(chain: chain.count > 1 ? Array(chain.dropLast()) : chain, partition: p),
                          pending: nil, advancedAt: ContinuousClock.now)
        if chain.count > 1 { entry.pending = try CheckpointBlob.open(newestBlob, partition: p) }
        let kept = entries.withLock { all -> Bool in
            guard all[p] == nil else { return false }  // a copy arrived meanwhile and was taken
            all[p] = entry
            return true
        }
        return kept ? entry.newestSeq : nil
    }

    /// The seqs kept for `partition` (the pending copy first, then the fold's), for the log line
    /// of a restore that could not use them.
    public func keptSeqs(partition p: Int) -> [UInt64] {
        entries.withLock { all in all[p]?.seqs ?? [] }
    }

    /// The folded state of `committed`, if kept (without removing it). Asked for the pending
    /// copy, folds it in for good: the coordinator committed it.
    public func jobs(partition p: Int, committed: CommittedCheckpoint) -> [JobCheckpoint]? {
        entries.withLock { all in
            guard var entry = all.removeValue(forKey: p) else { return nil }
            if let pending = entry.pending, pending.header.seq == committed.seq, pending.header.digest == committed.digest {
                guard (try? entry.settle(partition: p)) != nil else { return nil }  // it does not apply: dropped
            }
            all[p] = entry
            guard let fold = entry.fold, fold.header.seq == committed.seq, fold.header.digest == committed.digest else { return nil }
            return fold.jobs
        }
    }

    /// What `take` found for a new owner.
    public enum Taken: Sendable {
        /// The state of the committed checkpoint.
        case committed([JobCheckpoint])
        /// Only the state of an older checkpoint (seq): a fallback when no replica can ship the
        /// committed chain, as processing the log from its offsets reaches the committed state.
        case older(seq: UInt64, jobs: [JobCheckpoint])
        case nothing

        /// The committed state, if that is what was found.
        public var committedJobs: [JobCheckpoint]? {
            if case .committed(let jobs) = self { return jobs }
            return nil
        }
    }

    /// Removes the partition's fold (this worker owns the partition now) and returns the state
    /// of `committed` from it: as kept, or brought forward with the checkpoints `store` holds
    /// past it (copies stored but not folded yet); else the older state it holds, if any.
    public func take(partition p: Int, committed: CommittedCheckpoint, store: CheckpointStore) -> Taken {
        if let jobs = jobs(partition: p, committed: committed) {
            entries.withLock { _ = $0.removeValue(forKey: p) }
            return .committed(jobs)
        }
        // Behind: a pending copy older than the committed checkpoint was committed too.
        guard var entry = entries.withLock({ $0.removeValue(forKey: p) }), (try? entry.settle(partition: p)) != nil,
              var fold = entry.takeFold(), fold.header.seq < committed.seq else { return .nothing }
        guard let chain = try? store.chain(partition: p, upTo: committed.seq, digest: committed.digest) else {
            return .older(seq: fold.header.seq, jobs: fold.jobs)  // the committed chain is not here
        }
        let behind = committed.seq - fold.header.seq
        guard behind < UInt64(chain.count) else { return .older(seq: fold.header.seq, jobs: fold.jobs) }  // a newer base there
        do {
            for blob in chain.suffix(Int(behind)) { try fold.append(blob) }
        } catch {
            return .nothing  // another chain (a new epoch rewrote it), and the fold is half-applied: read the whole chain
        }
        return fold.header.digest == committed.digest ? .committed(fold.jobs) : .nothing
    }
}
