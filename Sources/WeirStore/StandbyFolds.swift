import Synchronization
import WeirCodec

/// The checkpoint chains of partitions this worker stands by for, kept folded in memory as their
/// copies arrive (a warm standby): when the owner dies, the restore starts from the fold instead
/// of reading and decoding up to a base's worth of checkpoints while the partition stands still.
///
/// Holds the newest fold and the one before it per partition, because the coordinator commits a
/// checkpoint only after this worker stored it: an owner lost in between leaves the previous one
/// committed. A fold is only a cache of what the store holds; a restore uses it only when its
/// (seq, digest) is exactly the committed one, and reads the store otherwise.
public final class StandbyFolds: Sendable {
    private struct Entry {
        var newest: CheckpointFold
        var previous: CheckpointFold?
        var advancedAt: ContinuousClock.Instant
    }

    private let entries = Mutex<[Int: Entry]>([:])
    /// A fold not advanced for this long is dropped (its partition is idle or stands by
    /// elsewhere now), so memory holds only state that is being copied here.
    public let idleLimit: Duration

    public init(idleLimit: Duration = .seconds(60)) {
        self.idleLimit = idleLimit
    }

    /// Folds in a checkpoint of `partition` this worker just stored as its standby. A copy that
    /// does not follow the fold (the first one here, or after a gap) starts over from a base, or
    /// from the chain in `store`. Decoding happens outside the lock; a fold older than the one
    /// kept is discarded. Runs on a data-path thread.
    public func advance(partition p: Int, blob: [UInt8], store: CheckpointStore) {
        let now = ContinuousClock.now
        let kept = entries.withLock { all in
            all = all.filter { now - $0.value.advancedAt < idleLimit }
            return all[p]
        }
        let next: Entry
        do {
            let opened = try CheckpointBlob.open(blob, partition: p)  // checksums once, decodes once
            let header = opened.header
            if var fold = kept?.newest, header.seq == fold.header.seq + 1, header.previousDigest == fold.header.digest {
                try fold.append(opened: opened)
                next = Entry(newest: fold, previous: kept?.newest, advancedAt: now)
            } else if header.kind == .base {
                // The fold kept stays as the previous one: a base does not change that the owner
                // may die before this copy commits, leaving the kept checkpoint committed.
                next = Entry(newest: try CheckpointFold(opened: opened, partition: p), previous: kept?.newest, advancedAt: now)
            } else {
                let chain = try store.chain(partition: p, upTo: header.seq, digest: header.digest)
                next = Entry(newest: try CheckpointFold(chain: chain, partition: p), previous: kept?.newest, advancedAt: now)
            }
        } catch {
            entries.withLock { all in if all[p]?.newest.header.seq == kept?.newest.header.seq { all[p] = nil } }
            return
        }
        entries.withLock { all in
            if let current = all[p], current.newest.header.seq >= next.newest.header.seq { return }  // a later copy won the race
            all[p] = next
        }
    }

    /// Keeps `fold` as the partition's newest (the one before it becomes the previous), unless
    /// a newer one is kept already. For a fold built from state this worker holds in memory: a
    /// partition it just handed off, whose standby it usually becomes.
    public func keep(_ fold: CheckpointFold) {
        let now = ContinuousClock.now
        entries.withLock { all in
            if let current = all[fold.partition], current.newest.header.seq >= fold.header.seq { return }
            all[fold.partition] = Entry(newest: fold, previous: all[fold.partition]?.newest, advancedAt: now)
        }
    }

    /// Folds the newest chain `store` holds for `partition` (and keeps the fold one checkpoint
    /// before it as the previous, which is what the coordinator has committed if the newest
    /// was not), unless a fold is kept already. For a worker that just started: its store still
    /// holds the chains of partitions it owned or stood by for, and a failover that grants one of
    /// them here then restores from memory. Returns the seq folded to, nil when nothing was.
    @discardableResult
    public func warm(partition p: Int, store: CheckpointStore) throws -> UInt64? {
        guard keptSeqs(partition: p).isEmpty else { return nil }
        let chain = try store.newestChain(partition: p)
        guard let newestBlob = chain.last else { return nil }
        var newest = try CheckpointFold(chain: chain.count > 1 ? Array(chain.dropLast()) : chain, partition: p)
        var previous: CheckpointFold?
        if chain.count > 1 {
            previous = newest
            try newest.append(newestBlob)
        }
        let now = ContinuousClock.now
        let kept = entries.withLock { all -> Bool in
            guard all[p] == nil else { return false }  // a copy arrived meanwhile and was folded
            all[p] = Entry(newest: newest, previous: previous, advancedAt: now)
            return true
        }
        return kept ? newest.header.seq : nil
    }

    /// The seqs of the folds kept for `partition` (newest first), for the log line of a restore
    /// that could not use them.
    public func keptSeqs(partition p: Int) -> [UInt64] {
        entries.withLock { all in [all[p]?.newest, all[p]?.previous].compactMap { $0?.header.seq } }
    }

    /// The folded state of `committed`, if kept (without removing it).
    public func jobs(partition p: Int, committed: CommittedCheckpoint) -> [JobCheckpoint]? {
        entries.withLock { all in
            guard let entry = all[p] else { return nil }
            for fold in [entry.newest, entry.previous].compactMap({ $0 })
            where fold.header.seq == committed.seq && fold.header.digest == committed.digest {
                return fold.jobs
            }
            return nil
        }
    }

    /// Removes the partition's fold (this worker owns the partition now) and returns the state
    /// of `committed` from it: as kept, or brought forward with the checkpoints `store` holds
    /// past it (copies stored but not folded yet). nil when the fold cannot reach `committed`.
    public func take(partition p: Int, committed: CommittedCheckpoint, store: CheckpointStore) -> [JobCheckpoint]? {
        if let jobs = jobs(partition: p, committed: committed) {
            entries.withLock { _ = $0.removeValue(forKey: p) }
            return jobs
        }
        guard var fold = entries.withLock({ $0.removeValue(forKey: p) })?.newest, fold.header.seq < committed.seq,
              let chain = try? store.chain(partition: p, upTo: committed.seq, digest: committed.digest) else { return nil }
        let behind = committed.seq - fold.header.seq
        guard behind < UInt64(chain.count) else { return nil }  // the chain here starts after the fold (a newer base)
        do {
            for blob in chain.suffix(Int(behind)) { try fold.append(blob) }
        } catch {
            return nil  // another chain (a new epoch rewrote it): read the whole chain instead
        }
        return fold.header.digest == committed.digest ? fold.jobs : nil
    }
}
