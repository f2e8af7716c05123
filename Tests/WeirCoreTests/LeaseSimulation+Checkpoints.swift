import WeirCodec
import WeirCore

/// A checkpoint in the simulation: the real header (kind, partition, epoch, seq, chained digest)
/// over a small state, the sum of the partition's events up to `offset`. Like the engine's
/// checkpoints, a base holds the whole state and a delta only what changed since the previous
/// capture (`increment`): a restore folds base + deltas, so a delta that misses changes (one
/// captured after a capture that was never committed, without a base between) rebuilds a wrong
/// state, and the reference comparison shows it.
struct SimCheckpoint: Equatable {
    var header: CheckpointBlob.Header
    /// A base's whole sum, a delta's change since the previous capture.
    var increment: Int64
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

/// The simulated processes' checkpoint state. Every decision of the checkpoint protocol is made
/// by the real types: the owner's by `CheckpointOwner`, the coordinator's by
/// `CheckpointAuthority` (with `LeaseAuthority.isCurrent` as its fencing verdict), every
/// store's chain rules by `CheckpointChainIndex`. The simulation only carries their directives
/// over a faulty network; the "engine" is a running sum, so the reference is a prefix sum.
struct CheckpointState {
    static let stream = "events"
    struct Running {
        var epoch: Epoch
        var restored = false
        var waitingForState = false
        var stateAskedAt: Int64 = -1_000_000
        var sum: Int64 = 0
        var offset = 0
        /// The sum when the last checkpoint was captured: a delta holds the change since (each
        /// capture consumes it, as `PartitionRunner.capture` consumes the engine's changed cells).
        var sumAtLastCapture: Int64 = 0
        /// The real owner-side rules of this partition's checkpoints.
        var owner: CheckpointOwner
        /// The checkpoint in flight and what it holds.
        var sent: (capture: CheckpointOwner.Capture, checkpoint: SimCheckpoint)?
        var lastCheckpointAt: Int64 = -1_000_000
        var readInFlightSince: Int64?
        var committed: CommittedCheckpoint { owner.committed }
    }
    struct Store { var index = CheckpointChainIndex(); var blobs: [UInt64: SimCheckpoint] = [:] }
    struct Worker {
        var running: [PartitionID: Running] = [:]
        var granted: [PartitionID: (Epoch, CommittedCheckpoint)] = [:]
        /// Survives crashes (the LMDB store on disk).
        var stores: [PartitionID: Store] = [:]
    }

    var workers: [Worker] = []
    /// The coordinator's real checkpoint rules; its commits are durable (a restarted coordinator
    /// starts a new authority from them, as `Coordinator.init` does from its store).
    var authority = CheckpointAuthority(replicationFactor: 2, commits: [])
    var logs: [[Int64]] = []
    var prefix: [[Int64]] = []
    var logStart: [Int] = []
    /// What each partition's committed chain folds to (the simulation's own bookkeeping, to check
    /// each commit against the reference).
    var committedSum: [Int64] = []
    var pendingReplications: [UInt64: (owner: WorkerIdentity, partition: PartitionID, checkpoint: SimCheckpoint, standby: WorkerIdentity)] = [:]
    var pendingStates: [UInt64: (requester: WorkerIdentity, partition: PartitionID, epoch: Epoch, committed: CommittedCheckpoint, others: [WorkerIdentity])] = [:]
    var nextRequest: UInt64 = 1
    /// (partition, epoch) → the one worker whose checkpoints were accepted under it.
    var writers: [String: String] = [:]
    /// When the coordinator last got a renewal from each worker incarnation.
    var lastHeard: [WorkerIdentity: Int64] = [:]
    var stats = (commits: 0, restoresLocal: 0, restoresShipped: 0, replays: 0, olderRestores: 0, needBase: 0, staleRefused: 0, storeFailures: 0)
    /// The owners' checkpoint rules in the simulation: every 200 ms, a base every 8.
    static let ownerSettings = CheckpointOwner.Settings(intervalMilliseconds: 200, deltasPerBase: 8)
    /// How long a coordinator asks a replica to have been heard from (`Coordinator.stateRelayTimeoutMilliseconds`).
    var promptWithin: Int64 = 0
    /// Events of one seed, printed when it is replayed alone.
    var trace: [String] = []
}

extension LeaseSimulation {
    static let checkpointEvery: Int64 = 200

    mutating func enableCheckpointing() {
        checkpointing = true
        ck.workers = Array(repeating: CheckpointState.Worker(), count: workers.count)
        ck.authority = CheckpointAuthority(replicationFactor: 2, commits: Array(repeating: nil, count: partitions))
        ck.promptWithin = max(settings.ttlMilliseconds / 2, 100)
        ck.logs = Array(repeating: [], count: partitions)
        ck.prefix = Array(repeating: [0], count: partitions)
        ck.logStart = Array(repeating: 0, count: partitions)
        ck.committedSum = Array(repeating: 0, count: partitions)
    }

    func committedCheckpoint(_ p: PartitionID) -> CommittedCheckpoint {
        guard checkpointing else { return .none }
        return ck.authority.committedCheckpoint(of: p)
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

    static func digest(previous: UInt64, seq: UInt64, increment: Int64, offset: Int) -> UInt64 {
        var w = WireWriter()
        w.u64(seq); w.i64(increment); w.int(offset)
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
        var r = CheckpointState.Running(epoch: e, owner: CheckpointOwner(committed: committed, now: now, settings: CheckpointState.ownerSettings))
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
        r.sum = Self.fold(chain)
        r.sumAtLastCapture = r.sum
        r.offset = last.offset
        r.restored = true
        r.waitingForState = false
    }

    /// The state a chain rebuilds: its base's sum plus every delta's change, as a restore folds it.
    static func fold(_ chain: [SimCheckpoint]) -> Int64 {
        precondition(chain.first?.header.kind != .delta, "a chain starts with a base")
        return chain.reduce(0) { $0 + $1.increment }
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
            if let sent = r.sent, let since = r.owner.inFlight?.since, now - since > 2 * settings.ttlMilliseconds {
                // No answer: it may have been committed. Like the worker when its connection drops,
                // the owner stops; the next owner restores whatever was committed.
                if case .stopPartition = r.owner.lost(sent.capture) {
                    r.sent = nil
                    ck.workers[w].running[p] = r
                    apply(w, workers[w].holder.refusedAsStale(partition: p, epoch: e))
                    continue
                }
            }
            if now - r.lastCheckpointAt >= CheckpointState.ownerSettings.intervalMilliseconds, let capture = r.owner.begin(now: now) {
                r.lastCheckpointAt = now
                if let unchanged = capture.skipIfProgressIs, unchanged == UInt64(r.offset) {
                    r.owner.skipped(capture)
                } else {
                    // The capture consumes the changes since the previous one, whatever happens to it.
                    let increment = capture.isBase ? r.sum : r.sum - r.sumAtLastCapture
                    r.sumAtLastCapture = r.sum
                    let header = CheckpointBlob.Header(kind: capture.isBase ? .base : .delta, partition: p, epoch: e, seq: capture.seq,
                                                       previousDigest: capture.previousDigest,
                                                       digest: Self.digest(previous: capture.previousDigest, seq: capture.seq, increment: increment, offset: r.offset))
                    let c = SimCheckpoint(header: header, increment: increment, offset: r.offset)
                    if rng.below(100) < 3 {  // the local store's write failed (a full LMDB map, a full disk)
                        ck.stats.storeFailures += 1
                        r.owner.failed(capture)
                        ck.workers[w].running[p] = r
                        continue
                    }
                    switch offer(w, c) {
                    case .store:
                        r.sent = (capture, c)
                        send(.checkpoint(id, p, e, c), from: w)
                    case .needBase, .staleEpoch:
                        r.owner.failed(capture)
                    }
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
            guard var r = ck.workers[w].running[p], r.epoch == e, let sent = r.sent, sent.capture.seq == seq else { return }
            r.sent = nil
            let directive = r.owner.answered(sent.capture, digest: sent.checkpoint.header.digest, progress: UInt64(sent.checkpoint.offset),
                                             status: status, now: now)
            ck.workers[w].running[p] = r
            switch directive {
            case .none: break
            case .committed:
                if ck.workers[w].stores[p]?.blobs[seq] == nil { violate("worker \(id) lost its own checkpoint \(seq) of partition \(p)") }
            case .stopPartition:
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
           case .success(let seqs) = store.index.chain(upTo: newest.seq, digest: newest.digest, partition: p) {
            let chain = seqs.compactMap { store.blobs[$0] }
            if chain.count == seqs.count, let last = chain.last { candidates.append((Self.fold(chain), last.offset)) }
        }
        let usable = candidates.filter { $0.offset >= bounds.logStart }
        guard let best = usable.min(by: { $0.offset > $1.offset }) else { return }
        let distance = max(0, bounds.committedOffset - best.offset)
        if bounds.replicaSilent && distance > 12 { return }  // asks again
        ck.trace.append("t=\(now) \(workers[w].identity) rebuilds p\(p) from offset \(best.offset) (log starts at \(bounds.logStart), committed \(bounds.committedOffset))")
        r.sum = best.sum
        r.sumAtLastCapture = best.sum
        r.offset = best.offset
        r.restored = true
        r.waitingForState = false
        r.owner.stateReplaced()  // not the committed chain's state: a new chain starts
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
            guard admit(id, p, e, seq: c.header.seq, digest: c.header.digest) else { return }
            let connected = workers.filter { $0.connected && $0.registered }.map(\.identity)
            let standbys = ck.authority.standbys(for: p, owner: id, preferred: authority.standby(for: p, owner: id),
                                                 connected: connected, live: Set(authority.liveWorkers))
            guard let standby = standbys.first else { return commitCheckpoint(id, p, e, c, replicas: [id.name]) }
            let request = ck.nextRequest
            ck.nextRequest += 1
            ck.pendingReplications[request] = (id, p, c, standby)
            reply(.replicate(request: request, p, c), to: standby)
        case .replicated(let standby, let request, let status):
            guard let pending = ck.pendingReplications[request], pending.standby == standby else { return }
            replicationAnswered(request, status)
        case .stateRequest(let id, let p, let e, let committed):
            let connected = workers.filter { $0.connected && $0.registered }.map(\.identity)
            let decision = ck.authority.stateSource(
                for: LeaseRef(partition: p, epoch: e), seq: committed.seq, digest: committed.digest, requester: id,
                requesterIsCurrent: authority.isCurrent(id, p, e, now: now), connected: connected, live: Set(authority.liveWorkers),
                lastHeard: ck.lastHeard, now: now, promptWithin: ck.promptWithin)
            switch decision {
            case .replica(let source, let others):
                let request = ck.nextRequest
                ck.nextRequest += 1
                ck.pendingStates[request] = (id, p, e, committed, others)
                reply(.stateFetch(request: request, p, committed), to: source)
            case .none(let why):
                // Without a replica the new owner gets the log's bounds (it may rebuild older state).
                guard why == StateTransfer.noReplicaConnected || why == StateTransfer.replicasSilent,
                      let commit = ck.authority.commits[p] else { return }
                let bounds = SimReplayBounds(logStart: ck.logStart[p], committedOffset: Self.offset(of: commit),
                                             replicaSilent: why == StateTransfer.replicasSilent)
                reply(.stateReply(p, e, nil, bounds), to: id)
            }
        case .stateChain(_, let request, let chain):
            guard var pending = ck.pendingStates.removeValue(forKey: request) else { return }
            if chain == nil, !pending.others.isEmpty {
                // That replica no longer has it: ask the next one (the coordinator's `stateReplied`).
                let next = pending.others.removeFirst()
                ck.pendingStates[request] = pending
                return reply(.stateFetch(request: request, pending.partition, pending.committed), to: next)
            }
            let bounds = chain == nil ? ck.authority.commits[pending.partition].map {
                SimReplayBounds(logStart: ck.logStart[pending.partition], committedOffset: Self.offset(of: $0), replicaSilent: true)
            } : nil
            reply(.stateReply(pending.partition, pending.epoch, chain, bounds), to: pending.requester)
        default: break
        }
    }

    /// A standby answered (nil: it disconnected, as the coordinator's `failPending`): the real
    /// rules decide between a commit and asking the owner for a base.
    mutating func replicationAnswered(_ request: UInt64, _ status: ReplicaStatus?) {
        guard let pending = ck.pendingReplications.removeValue(forKey: request) else { return }
        let (owner, p, c) = (pending.owner, pending.partition, pending.checkpoint)
        switch ck.authority.outcome(owner: owner.name, answers: [(pending.standby.name, status)]) {
        case .commit(let replicas, _): commitCheckpoint(owner, p, c.header.epoch, c, replicas: replicas)
        case .needBase:
            ck.stats.needBase += 1
            ck.authority.askedForBase(LeaseRef(partition: p, epoch: c.header.epoch), seq: c.header.seq, digest: c.header.digest)
            reply(.checkpointReply(p, c.header.epoch, seq: c.header.seq, .needBase), to: owner)
        }
    }

    /// The coordinator's fencing and sequencing of a checkpoint: `CheckpointAuthority.admit`.
    mutating func admit(_ id: WorkerIdentity, _ p: PartitionID, _ e: Epoch, seq: UInt64, digest: UInt64) -> Bool {
        let refusal = ck.authority.admit(LeaseRef(partition: p, epoch: e), seq: seq, digest: digest, holder: id.description,
                                         holderIsCurrent: authority.isCurrent(id, p, e, now: now))
        guard let refusal else { return true }
        if refusal.status == .stale { ck.stats.staleRefused += 1 }
        reply(.checkpointReply(p, e, seq: seq, refusal.status), to: id)
        return false
    }

    static func offset(of commit: CheckpointCommit) -> Int {
        Int(commit.offsets.first { $0.stream == CheckpointState.stream }?.offset ?? 0)
    }

    mutating func commitCheckpoint(_ id: WorkerIdentity, _ p: PartitionID, _ e: Epoch, _ c: SimCheckpoint, replicas: [String]) {
        guard admit(id, p, e, seq: c.header.seq, digest: c.header.digest) else { return }
        // Invariants, checked against the simulation's own knowledge before the commit lands.
        let key = "\(p)/\(e)"
        if let writer = ck.writers[key], writer != id.name { violate("partition \(p) epoch \(e) accepted checkpoints from \(writer) and \(id.name)") }
        ck.writers[key] = id.name
        if e != maxGranted[p] { violate("committed a checkpoint of partition \(p) under stale epoch \(e) (newest \(maxGranted[p]))") }
        let previous = ck.authority.commits[p]
        if c.header.seq != (previous?.seq ?? 0) + 1 { violate("partition \(p) committed seq \(c.header.seq) after \(previous?.seq ?? 0)"); return }
        if let previous, c.header.kind == .delta, c.header.previousDigest != previous.digest {
            violate("partition \(p) committed delta \(c.header.seq) chained to \(c.header.previousDigest), not to the committed \(previous.digest)")
        }
        // Offsets may go back only when an owner replayed a complete log (no replica reachable);
        // either way the state must be exactly the reference's at its offset: a skipped or
        // doubled event would show here.
        // The state a restore of the committed chain would rebuild: a base's whole sum, or the
        // committed state plus the delta's change.
        let folded = c.header.kind == .base ? c.increment : ck.committedSum[p] + c.increment
        if folded != ck.prefix[p][c.offset] {
            violate("partition \(p) committed \(c.header.kind) \(c.header.seq) that folds to state \(folded) at offset \(c.offset); the reference is \(ck.prefix[p][c.offset])")
        }
        ck.committedSum[p] = folded
        ck.trace.append("t=\(now) commit p\(p) e\(e) seq \(c.header.seq) offset \(c.offset) by \(id) replicas \(replicas)")
        let record = CheckpointCommit(epoch: e, seq: c.header.seq, digest: c.header.digest,
                                      offsets: [StreamOffset(stream: CheckpointState.stream, offset: UInt64(c.offset))], replicas: replicas)
        let connected = workers.filter { $0.connected && $0.registered }.count
        for directive in ck.authority.committed(record, partition: p, workers: connected, now: now) {
            switch directive {
            case .truncateLog(let partition, let offsets):
                for o in offsets { ck.logStart[partition] = max(ck.logStart[partition], Int(o.offset)) }
            }
        }
        authority.preferredHolders = (0..<partitions).map { ck.authority.commits[$0]?.replicas ?? [] }
        ck.stats.commits += 1
        reply(.checkpointReply(p, e, seq: c.header.seq, .committed), to: id)
    }

    func describeCheckpoints() -> String {
        var lines: [String] = []
        for p in 0..<partitions {
            let c = ck.authority.commits[p]
            lines.append("  p\(p): committed seq \(c?.seq ?? 0) e\(c?.epoch ?? 0) offset \(c.map(Self.offset(of:)) ?? 0) replicas \(c?.replicas ?? []) logStart \(ck.logStart[p]) log \(ck.logs[p].count)")
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
