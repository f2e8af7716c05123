import WeirCodec
import WeirCore

/// A checkpoint in the simulation: the real header (kind, partition, epoch, seq, chained digest)
/// over a small state — the sum of the partition's events up to `offset`.
struct SimCheckpoint: Equatable {
    var header: CheckpointBlob.Header
    var sum: Int64
    var offset: Int
}

/// What a state reply without a chain says (the real `ReplayBounds` and `StateTransfer` codes).
struct SimReplayBounds {
    var logStart: Int
    var committedOffset: Int
    /// A replica is connected but was not heard from lately (`replicasSilent`), as opposed to
    /// none being connected: waiting may still pay.
    var replicaSilent: Bool
}

/// The simulated processes' checkpoint state. The coordinator's commit rules and every store's
/// chain rules are the real ones (`LeaseAuthority.isCurrent`, seq = committed + 1,
/// `CheckpointChainIndex`); the "engine" is a running sum, so the reference is a prefix sum.
struct CheckpointState {
    struct Commit { var epoch: Epoch; var seq: UInt64; var digest: UInt64; var offset: Int; var replicas: [String] }
    struct Running {
        var epoch: Epoch
        var restored = false
        var waitingForState = false
        var stateAskedAt: Int64 = -1_000_000
        var sum: Int64 = 0
        var offset = 0
        var committed: CommittedCheckpoint
        var needBase = true
        var inFlightSince: Int64?
        var lastCheckpointAt: Int64 = -1_000_000
        var readInFlightSince: Int64?
    }
    struct Store { var index = CheckpointChainIndex(); var blobs: [UInt64: SimCheckpoint] = [:] }
    struct Worker {
        var running: [PartitionID: Running] = [:]
        var granted: [PartitionID: (Epoch, CommittedCheckpoint)] = [:]
        /// Survives crashes (the LMDB store on disk).
        var stores: [PartitionID: Store] = [:]
    }

    var workers: [Worker] = []
    /// Durable at the coordinator.
    var commits: [Commit?] = []
    var logs: [[Int64]] = []
    var prefix: [[Int64]] = []
    var logStart: [Int] = []
    var pendingReplications: [UInt64: (owner: WorkerIdentity, partition: PartitionID, checkpoint: SimCheckpoint, standby: String)] = [:]
    var pendingStates: [UInt64: (requester: WorkerIdentity, partition: PartitionID, epoch: Epoch, committed: CommittedCheckpoint, others: [WorkerIdentity])] = [:]
    var nextRequest: UInt64 = 1
    /// (partition, epoch) → the one worker whose checkpoints were accepted under it.
    var writers: [String: String] = [:]
    /// When the coordinator last got a renewal from each worker incarnation.
    var lastHeard: [WorkerIdentity: Int64] = [:]
    var stats = (commits: 0, restoresLocal: 0, restoresShipped: 0, replays: 0, olderRestores: 0, needBase: 0, staleRefused: 0)
    /// Events of one seed, printed when it is replayed alone.
    var trace: [String] = []
}

extension LeaseSimulation {
    static let checkpointEvery: Int64 = 200

    mutating func enableCheckpointing() {
        checkpointing = true
        ck.workers = Array(repeating: CheckpointState.Worker(), count: workers.count)
        ck.commits = Array(repeating: nil, count: partitions)
        ck.logs = Array(repeating: [], count: partitions)
        ck.prefix = Array(repeating: [0], count: partitions)
        ck.logStart = Array(repeating: 0, count: partitions)
    }

    func committedCheckpoint(_ p: PartitionID) -> CommittedCheckpoint {
        guard checkpointing, let c = ck.commits[p] else { return .none }
        return CommittedCheckpoint(seq: c.seq, digest: c.digest)
    }

    mutating func appendEvents() {
        for p in 0..<partitions {
            for _ in 0..<rng.below(3) {
                let v = Int64(rng.below(1_000))
                ck.logs[p].append(v)
                ck.prefix[p].append((ck.prefix[p].last ?? 0) + v)
            }
        }
    }

    static func digest(previous: UInt64, seq: UInt64, sum: Int64, offset: Int) -> UInt64 {
        var w = WireWriter()
        w.u64(seq); w.i64(sum); w.int(offset)
        return StableHash.hash(w.bytes, seed: previous)
    }

    // MARK: worker side

    mutating func startPartition(_ w: Int, _ p: PartitionID, _ e: Epoch) {
        if let r = ck.workers[w].running[p], r.epoch == e { return }  // valid again after a moment: resume (as `Worker.resume`)
        guard let granted = ck.workers[w].granted[p], granted.0 == e else {
            apply(w, workers[w].holder.refusedAsStale(partition: p, epoch: e))  // as the worker does: never guess "no checkpoint"
            return
        }
        let committed = granted.1
        ck.trace.append("t=\(now) \(workers[w].identity) starts p\(p) e\(e) committed \(committed.seq)")
        var r = CheckpointState.Running(epoch: e, committed: committed)
        if committed.seq == 0 {
            r.restored = true
        } else if let chain = localChain(w, p, committed) {
            restore(&r, from: chain)
            ck.stats.restoresLocal += 1
        } else {
            r.waitingForState = true
        }
        ck.workers[w].running[p] = r
    }

    func localChain(_ w: Int, _ p: PartitionID, _ committed: CommittedCheckpoint) -> [SimCheckpoint]? {
        guard let store = ck.workers[w].stores[p],
              case .success(let seqs) = store.index.chain(upTo: committed.seq, digest: committed.digest, partition: p) else { return nil }
        let blobs = seqs.compactMap { store.blobs[$0] }
        return blobs.count == seqs.count ? blobs : nil
    }

    mutating func restore(_ r: inout CheckpointState.Running, from chain: [SimCheckpoint]) {
        guard let last = chain.last else { return }
        r.sum = last.sum
        r.offset = last.offset
        r.restored = true
        r.waitingForState = false
        r.needBase = false
    }

    /// Offers a checkpoint to worker `w`'s store with the real chain rules.
    mutating func offer(_ w: Int, _ c: SimCheckpoint) -> CheckpointChainIndex.Decision {
        var store = ck.workers[w].stores[c.header.partition] ?? CheckpointState.Store()
        let decision = store.index.offer(c.header, partition: c.header.partition)
        if case .store(let deleting) = decision {
            for seq in deleting { store.blobs[seq] = nil }
            store.blobs[c.header.seq] = c
        }
        ck.workers[w].stores[c.header.partition] = store
        return decision
    }

    /// A shipped chain replaces the store's chain of the partition (the rules of `CheckpointStore.install`).
    mutating func install(_ w: Int, _ p: PartitionID, _ chain: [SimCheckpoint], committed: CommittedCheckpoint) {
        let headers = chain.map(\.header)
        guard CheckpointChainIndex.isChain(headers), headers.last?.seq == committed.seq, headers.last?.digest == committed.digest else {
            violate("partition \(p): a shipped chain does not rebuild committed checkpoint \(committed.seq)")
            return
        }
        var store = ck.workers[w].stores[p] ?? CheckpointState.Store()
        for old in store.index.install(headers) { store.blobs[old] = nil }
        for c in chain { store.blobs[c.header.seq] = c }
        ck.workers[w].stores[p] = store
    }

    /// Per tick: read the log, checkpoint, ask for missing state — only under a valid lease.
    mutating func workerWork(_ w: Int) {
        let local = workers[w].clock(now)
        let id = workers[w].identity
        for (p, e) in workers[w].holder.validPartitions(now: local) {
            guard var r = ck.workers[w].running[p], r.epoch == e else { continue }
            if r.waitingForState {
                if now - r.stateAskedAt > 4 * settings.ttlMilliseconds / 3 {
                    r.stateAskedAt = now
                    send(.stateRequest(id, p, e, r.committed), from: w)
                }
                ck.workers[w].running[p] = r
                continue
            }
            guard r.restored else { continue }
            if r.readInFlightSince.map({ now - $0 > settings.ttlMilliseconds }) ?? true {
                r.readInFlightSince = now
                send(.read(id, p, e, offset: r.offset), from: w)
            }
            if let since = r.inFlightSince, now - since > 2 * settings.ttlMilliseconds {
                // No answer: it may have been committed. Like the worker when its connection drops,
                // stop; the next owner restores whatever was committed.
                ck.workers[w].running[p] = r
                apply(w, workers[w].holder.refusedAsStale(partition: p, epoch: e))
                continue
            }
            if r.inFlightSince == nil, now - r.lastCheckpointAt >= Self.checkpointEvery {
                r.lastCheckpointAt = now
                let seq = r.committed.seq + 1
                let kind: CheckpointBlob.Kind = r.needBase || seq % 8 == 0 ? .base : .delta
                let header = CheckpointBlob.Header(kind: kind, partition: p, epoch: e, seq: seq, previousDigest: r.committed.digest,
                                                   digest: Self.digest(previous: r.committed.digest, seq: seq, sum: r.sum, offset: r.offset))
                let c = SimCheckpoint(header: header, sum: r.sum, offset: r.offset)
                switch offer(w, c) {
                case .store:
                    r.inFlightSince = now
                    send(.checkpoint(id, p, e, c), from: w)
                case .needBase, .staleEpoch:
                    r.needBase = true
                    r.inFlightSince = nil
                }
            }
            ck.workers[w].running[p] = r
        }
    }

    mutating func workerReceivesCheckpointing(_ w: Int, _ message: Message) {
        let local = workers[w].clock(now)
        let id = workers[w].identity
        switch message {
        case .readReply(let p, let e, let offset, let values):
            guard var r = ck.workers[w].running[p], r.epoch == e, r.restored, workers[w].holder.isValid(p, epoch: e, now: local) else { return }
            r.readInFlightSince = nil
            guard let values else {
                ck.workers[w].running[p] = r
                apply(w, workers[w].holder.refusedAsStale(partition: p, epoch: e))
                return
            }
            if offset == r.offset {  // contiguous: a duplicate or late reply is ignored
                r.sum += values.reduce(0, +)
                r.offset += values.count
            }
            ck.workers[w].running[p] = r
        case .checkpointReply(let p, let e, let seq, let status):
            guard var r = ck.workers[w].running[p], r.epoch == e, r.inFlightSince != nil, seq == r.committed.seq + 1 else { return }
            r.inFlightSince = nil
            switch status {
            case .committed:
                guard let c = ck.workers[w].stores[p]?.blobs[seq] else { violate("worker \(id) lost its own checkpoint \(seq) of partition \(p)"); return }
                r.committed = CommittedCheckpoint(seq: seq, digest: c.header.digest)
                r.needBase = false
                ck.workers[w].running[p] = r
            case .needBase:
                r.needBase = true
                ck.workers[w].running[p] = r
            case .stale, .refused:
                ck.workers[w].running[p] = r
                apply(w, workers[w].holder.refusedAsStale(partition: p, epoch: e))
            }
        case .replicate(let request, let p, let c):
            let status: ReplicaStatus
            switch offer(w, c) {
            case .store: status = .stored
            case .needBase: status = .needBase
            case .staleEpoch: status = .refused
            }
            send(.replicated(id, request: request, status), from: w)
        case .stateFetch(let request, let p, let committed):
            send(.stateChain(id, request: request, localChain(w, p, committed)), from: w)
        case .stateReply(let p, let e, let chain, let bounds):
            guard var r = ck.workers[w].running[p], r.epoch == e, r.waitingForState else { return }
            if let chain {
                install(w, p, chain, committed: r.committed)
                if let stored = localChain(w, p, r.committed) {
                    restore(&r, from: stored)
                    ck.stats.restoresShipped += 1
                }
            } else if let bounds {
                rebuildFromOlderState(w, p, &r, bounds)
            }
            ck.workers[w].running[p] = r
        default: break
        }
    }

    /// The worker's fallback (`OlderState`, `ReplayBounds.replayDistance`): the newest state
    /// its store holds below the committed seq, or none (offset 0), whichever the log still
    /// covers with the fewest events to process again; when a replica is only silent, only if
    /// that is a few events.
    mutating func rebuildFromOlderState(_ w: Int, _ p: PartitionID, _ r: inout CheckpointState.Running, _ bounds: SimReplayBounds) {
        var candidates = [(sum: Int64(0), offset: 0)]
        if let store = ck.workers[w].stores[p], let newest = store.index.entries.last, newest.seq < r.committed.seq,
           let c = store.blobs[newest.seq] {
            candidates.append((c.sum, c.offset))
        }
        let usable = candidates.filter { $0.offset >= bounds.logStart }
        guard let best = usable.min(by: { $0.offset > $1.offset }) else { return }
        let distance = max(0, bounds.committedOffset - best.offset)
        if bounds.replicaSilent && distance > 12 { return }  // asks again
        ck.trace.append("t=\(now) \(workers[w].identity) rebuilds p\(p) from offset \(best.offset) (log starts at \(bounds.logStart), committed \(bounds.committedOffset))")
        r.sum = best.sum
        r.offset = best.offset
        r.restored = true
        r.waitingForState = false
        r.needBase = true  // not the committed chain's state: a new chain starts
        if best.offset == 0 { ck.stats.replays += 1 } else { ck.stats.olderRestores += 1 }
    }

    // MARK: coordinator side

    mutating func coordinatorReceivesCheckpointing(_ message: Message) {
        switch message {
        case .read(let id, let p, let e, let offset):
            guard authority.isCurrent(id, p, e, now: now) else { return reply(.readReply(p, e, offset: offset, values: nil), to: id) }
            // A late or duplicated read may ask below the log start; only an owner that really
            // is at that offset would have lost data.
            if offset < ck.logStart[p], let w = workers.firstIndex(where: { $0.identity == id }),
               let r = ck.workers[w].running[p], r.epoch == e, r.restored, r.offset == offset {
                violate("\(id) needs partition \(p) from \(offset), but the log was truncated to \(ck.logStart[p])")
            }
            let start = max(offset, ck.logStart[p])
            let end = min(ck.logs[p].count, start + 1 + rng.below(8))
            let values = start < end ? Array(ck.logs[p][start..<end]) : []
            reply(.readReply(p, e, offset: start, values: values), to: id)
        case .checkpoint(let id, let p, let e, let c):
            guard admit(id, p, e, seq: c.header.seq) else { return }
            // The coordinator's placement: the authority's choice if that worker is connected, else
            // any other connected worker (a commit with one copy is the last resort).
            let chosen = authority.standby(for: p, owner: id)
            let others = workers.filter { $0.connected && $0.registered && $0.alive && $0.identity != id }
            guard let standby = others.first(where: { $0.identity == chosen }) ?? (others.isEmpty ? nil : others[p % others.count]) else {
                return commitCheckpoint(id, p, e, c, replicas: [id.name])
            }
            let request = ck.nextRequest
            ck.nextRequest += 1
            ck.pendingReplications[request] = (id, p, c, standby.name)
            reply(.replicate(request: request, p, c), to: standby.identity)
        case .replicated(let standby, let request, let status):
            guard let pending = ck.pendingReplications.removeValue(forKey: request), pending.standby == standby.name else { return }
            let (owner, p, c) = (pending.owner, pending.partition, pending.checkpoint)
            switch status {
            case .stored: commitCheckpoint(owner, p, c.header.epoch, c, replicas: [owner.name, standby.name])
            case .needBase:
                ck.stats.needBase += 1
                reply(.checkpointReply(p, c.header.epoch, seq: c.header.seq, .needBase), to: owner)
            case .refused: commitCheckpoint(owner, p, c.header.epoch, c, replicas: [owner.name])
            }
        case .stateRequest(let id, let p, let e, let committed):
            guard authority.isCurrent(id, p, e, now: now), let commit = ck.commits[p], commit.seq == committed.seq, commit.digest == committed.digest else { return }
            let connected = commit.replicas.compactMap { name in workers.first { $0.name == name && $0.connected && $0.alive && $0.identity != id } }
            // Only replicas heard from within half a TTL are asked (`Coordinator.stateRequested`).
            let sources = connected.filter { now - (ck.lastHeard[$0.identity] ?? .min / 2) <= settings.ttlMilliseconds / 2 }
            guard !sources.isEmpty else {
                let bounds = SimReplayBounds(logStart: ck.logStart[p], committedOffset: commit.offset, replicaSilent: !connected.isEmpty)
                return reply(.stateReply(p, e, nil, bounds), to: id)
            }
            let request = ck.nextRequest
            ck.nextRequest += 1
            ck.pendingStates[request] = (id, p, e, committed, Array(sources.dropFirst().map(\.identity)))
            reply(.stateFetch(request: request, p, committed), to: sources[0].identity)
        case .stateChain(_, let request, let chain):
            guard var pending = ck.pendingStates.removeValue(forKey: request) else { return }
            if chain == nil, !pending.others.isEmpty {
                // That replica no longer has it: ask the next one (the coordinator's `stateReplied`).
                let next = pending.others.removeFirst()
                ck.pendingStates[request] = pending
                return reply(.stateFetch(request: request, pending.partition, pending.committed), to: next)
            }
            let bounds = chain == nil ? ck.commits[pending.partition].map {
                SimReplayBounds(logStart: ck.logStart[pending.partition], committedOffset: $0.offset, replicaSilent: true)
            } : nil
            reply(.stateReply(pending.partition, pending.epoch, chain, bounds), to: pending.requester)
        default: break
        }
    }

    /// The coordinator's fencing and sequencing of a checkpoint (the rules of `Coordinator.admitCheckpoint`).
    mutating func admit(_ id: WorkerIdentity, _ p: PartitionID, _ e: Epoch, seq: UInt64) -> Bool {
        guard authority.isCurrent(id, p, e, now: now) else {
            ck.stats.staleRefused += 1
            reply(.checkpointReply(p, e, seq: seq, .stale), to: id)
            return false
        }
        guard seq == (ck.commits[p]?.seq ?? 0) + 1 else {
            reply(.checkpointReply(p, e, seq: seq, .refused), to: id)
            return false
        }
        return true
    }

    mutating func commitCheckpoint(_ id: WorkerIdentity, _ p: PartitionID, _ e: Epoch, _ c: SimCheckpoint, replicas: [String]) {
        guard admit(id, p, e, seq: c.header.seq) else { return }
        let key = "\(p)/\(e)"
        if let writer = ck.writers[key], writer != id.name { violate("partition \(p) epoch \(e) accepted checkpoints from \(writer) and \(id.name)") }
        ck.writers[key] = id.name
        if e != maxGranted[p] { violate("committed a checkpoint of partition \(p) under stale epoch \(e) (newest \(maxGranted[p]))") }
        let previous = ck.commits[p]
        if c.header.seq != (previous?.seq ?? 0) + 1 { violate("partition \(p) committed seq \(c.header.seq) after \(previous?.seq ?? 0)") }
        // Offsets may go back only when an owner replayed a complete log (no replica reachable);
        // either way the state must be exactly the reference's at its offset: a skipped or
        // doubled event would show here.
        if c.sum != ck.prefix[p][c.offset] { violate("partition \(p) committed state \(c.sum) at offset \(c.offset); the reference is \(ck.prefix[p][c.offset])") }
        ck.trace.append("t=\(now) commit p\(p) e\(e) seq \(c.header.seq) offset \(c.offset) by \(id) replicas \(replicas)")
        ck.commits[p] = CheckpointState.Commit(epoch: e, seq: c.header.seq, digest: c.header.digest, offset: c.offset, replicas: replicas)
        authority.preferredHolders = (0..<partitions).map { ck.commits[$0]?.replicas ?? [] }
        ck.stats.commits += 1
        // Truncate behind checkpoints that have their two copies.
        if replicas.count >= 2 { ck.logStart[p] = max(ck.logStart[p], c.offset) }
        reply(.checkpointReply(p, e, seq: c.header.seq, .committed), to: id)
    }

    func describeCheckpoints() -> String {
        var lines: [String] = []
        for p in 0..<partitions {
            let c = ck.commits[p]
            lines.append("  p\(p): committed seq \(c?.seq ?? 0) e\(c?.epoch ?? 0) offset \(c?.offset ?? 0) replicas \(c?.replicas ?? []) logStart \(ck.logStart[p]) log \(ck.logs[p].count)")
        }
        for (w, worker) in ck.workers.enumerated() {
            for (p, r) in worker.running.sorted(by: { $0.key < $1.key }) {
                lines.append("  \(workers[w].identity) p\(p) e\(r.epoch): restored \(r.restored) waiting \(r.waitingForState) offset \(r.offset) committed \(r.committed.seq)")
            }
            for (p, store) in worker.stores.sorted(by: { $0.key < $1.key }) {
                lines.append("  \(workers[w].name) store p\(p): \(store.index.entries.map { "\($0.seq)\($0.kind == .base ? "b" : "d")" }) epoch≥\(store.index.highestEpoch)")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// After healing: every partition's owner has processed its whole log, with the reference's result.
    mutating func checkCaughtUp() {
        for p in 0..<partitions {
            let owners = workers.indices.filter { w in
                workers[w].holder.validPartitions(now: workers[w].clock(now)).contains { $0.partition == p }
            }
            guard let w = owners.first, let r = ck.workers[w].running[p] else { violate("after healing, partition \(p) has no running owner"); continue }
            if !r.restored { violate("after healing, partition \(p) at \(workers[w].identity) is still restoring (waiting for state: \(r.waitingForState))"); continue }
            if r.offset != ck.logs[p].count { violate("after healing, partition \(p) is at offset \(r.offset) of \(ck.logs[p].count)") }
            else if r.sum != ck.prefix[p][r.offset] { violate("after healing, partition \(p) has state \(r.sum); the reference is \(ck.prefix[p][r.offset])") }
        }
    }
}
