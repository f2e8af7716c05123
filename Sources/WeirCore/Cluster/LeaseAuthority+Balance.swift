extension LeaseAuthority {
    /// Moves toward an even spread: revokes partitions from workers above their quota (and from
    /// leaving workers), grants free partitions to the workers furthest below theirs.
    mutating func rebalance(now: Int64) -> [Directive] {
        let live = liveWorkers
        var directives: [Directive] = []
        for p in 0..<partitionCount {
            guard let lease = leases[p], !lease.revoking else { continue }
            if workers[lease.holder.name]?.identity != lease.holder || workers[lease.holder.name]?.leaving == true {
                directives += startRevoke(p, now: now)
            }
        }
        guard !live.isEmpty else { return directives }
        var held = heldPartitions()
        let quotas = quotas(for: live, held: held)
        // Partitions move to a newly joined worker only once it has settled (free ones it gets now).
        let settled = live.filter { now - (workers[$0.name]?.joinedAt ?? 0) >= settings.joinSettleMilliseconds }
        let revokeQuotas = settled.count == live.count || settled.isEmpty ? quotas : self.quotas(for: settled, held: held)
        let wanting = Set(live.filter { (held[$0]?.count ?? 0) < (quotas[$0] ?? 0) }.map(\.name))
        // A partition whose state no wanting worker stores yet moves only after the warm-up: by
        // then the standby placement below has usually copied it there, and a warm move restores
        // locally instead of fetching the state while the partition stands still.
        let coldMovesAllowed = live.filter { wanting.contains($0.name) }.allSatisfy {
            now - (workers[$0.name]?.joinedAt ?? 0) >= settings.joinSettleMilliseconds + settings.warmupMilliseconds
        }
        for worker in live {
            let mine = held[worker] ?? []
            let excess = mine.count - (revokeQuotas[worker] ?? quotas[worker] ?? 0)
            if excess > 0 {
                let settledHere = mine.filter { now - (leases[$0]?.grantedAt ?? 0) >= settings.joinSettleMilliseconds }
                let moving = movingOrder(settledHere, wanting: wanting).prefix(excess).filter { coldMovesAllowed || movesWarm($0, to: wanting) }
                for p in moving { directives += startRevoke(p, now: now) }
                held[worker] = mine.filter { !moving.contains($0) }
            }
        }
        guard now >= grantsAllowedFrom else { return directives }
        for p in 0..<partitionCount where leases[p] == nil {
            let candidates = live.filter { (held[$0]?.count ?? 0) < (quotas[$0] ?? 0) }
            // A worker that already stores the partition's committed checkpoint restores it locally.
            let storing = p < preferredHolders.count ? live.filter { preferredHolders[p].contains($0.name) } : []
            var preferred = candidates.filter { storing.contains($0) }
            // After its owner was lost, or while a worker below its quota still warms up (it just
            // joined or restarted, its standby copies are not there yet), a worker storing the
            // state gets the partition even above its quota: a failover must not wait for a state
            // transfer. Balancing moves it later (not within a TTL of the grant), warm (as Kafka
            // Streams gives tasks to caught-up standbys and moves them after a warm-up). A
            // partition balancing moved keeps to the quotas, so that move is not undone.
            if preferred.isEmpty && (!coldMovesAllowed || lostOwner.contains(p)) { preferred = storing }
            guard let worker = (preferred.isEmpty ? candidates : preferred)
                .min(by: { (held[$0]?.count ?? 0, $0) < (held[$1]?.count ?? 0, $1) }) else { break }
            let epoch = persistedEpochs[p] + 1
            persistedEpochs[p] = epoch
            leases[p] = Lease(holder: worker, epoch: epoch, lastRenewalReceived: now, revoking: false, grantedAt: now)
            lostOwner.remove(p)
            held[worker, default: []].append(p)
            directives.append(.persistEpoch(partition: p, epoch: epoch, holder: worker))
            directives.append(.grant(worker: worker, partition: p, epoch: epoch))
        }
        return directives
    }

    /// Where partition `p`'s standby should be while `owner` holds it: a worker below its quota
    /// when balancing will move `p` there (so that move is warm), else the standby it already
    /// has (a new standby needs a whole base checkpoint) unless that worker is the standby of
    /// more than its share of `owner`'s partitions, else the worker standing by for the fewest
    /// of them. Spreading each owner's standbys evenly means that when the owner dies, every
    /// survivor takes an even share of its partitions, all from local state, without going over
    /// its quota (which would send some of them to a worker without their state).
    public func standby(for p: PartitionID, owner: WorkerIdentity) -> WorkerIdentity? {
        let live = liveWorkers
        let others = live.filter { $0 != owner }
        guard !others.isEmpty else { return nil }
        let held = heldPartitions()
        let quotas = quotas(for: live, held: held)
        let wanting = others.filter { (held[$0]?.count ?? 0) < (quotas[$0] ?? 0) }
        let mine = held[owner] ?? []
        let excess = mine.count - (quotas[owner] ?? mine.count)
        if excess > 0, !wanting.isEmpty, movingOrder(mine, wanting: Set(wanting.map(\.name))).prefix(excess).contains(p) {
            let warm = wanting.filter { hasStateAt(p, [$0.name]) }
            return warm.first ?? wanting[p % wanting.count]
        }
        let load = standbyLoad(of: mine.filter { $0 != p }, owner: owner, among: others)
        let share = (mine.count + others.count - 1) / others.count
        if p < preferredHolders.count, let current = others.first(where: { preferredHolders[p].contains($0.name) }),
           load[current, default: 0] < share {
            return current
        }
        let fewest = others.map { load[$0, default: 0] }.min() ?? 0
        let least = others.filter { load[$0, default: 0] == fewest }
        return least[p % least.count]
    }

    /// For each of `others`, how many of `partitions` (held by `owner`) it stands by for now.
    private func standbyLoad(of partitions: [PartitionID], owner: WorkerIdentity, among others: [WorkerIdentity]) -> [WorkerIdentity: Int] {
        var load: [WorkerIdentity: Int] = [:]
        for q in partitions where q < preferredHolders.count {
            if let standby = others.first(where: { preferredHolders[q].contains($0.name) }) { load[standby, default: 0] += 1 }
        }
        return load
    }

    /// The partitions each live, non-leaving holder keeps (revoking ones excluded).
    private func heldPartitions() -> [WorkerIdentity: [PartitionID]] {
        var held: [WorkerIdentity: [PartitionID]] = [:]
        for p in 0..<partitionCount {
            guard let lease = leases[p], !lease.revoking, let entry = workers[lease.holder.name],
                  entry.identity == lease.holder, !entry.leaving else { continue }
            held[lease.holder, default: []].append(p)
        }
        return held
    }

    /// The order in which balancing gives a worker's partitions away: first those a worker below
    /// its quota already stores the state of (restored locally there), then the highest numbers.
    private func movingOrder(_ mine: [PartitionID], wanting: Set<String>) -> [PartitionID] {
        mine.sorted { a, b in
            let ra = movesWarm(a, to: wanting), rb = movesWarm(b, to: wanting)
            return ra != rb ? ra : a > b
        }
    }

    /// True when moving `p` to one of `workers` needs no state transfer: one of them stores its
    /// committed checkpoint, or it has none yet (nothing to restore).
    private func movesWarm(_ p: PartitionID, to workers: Set<String>) -> Bool {
        p >= preferredHolders.count || preferredHolders[p].isEmpty || hasStateAt(p, workers)
    }

    private func hasStateAt(_ p: PartitionID, _ workers: Set<String>) -> Bool {
        p < preferredHolders.count && preferredHolders[p].contains { workers.contains($0) }
    }

    /// Partition quotas: ⌊P/W⌋ each, one more for the `P mod W` workers holding the most now
    /// (ties by name), so that balancing moves as few partitions as possible.
    private func quotas(for live: [WorkerIdentity], held: [WorkerIdentity: [PartitionID]]) -> [WorkerIdentity: Int] {
        let base = partitionCount / live.count
        let extra = partitionCount % live.count
        let ranked = live.sorted { a, b in
            let ca = held[a]?.count ?? 0, cb = held[b]?.count ?? 0
            return ca != cb ? ca > cb : a < b
        }
        var quotas: [WorkerIdentity: Int] = [:]
        for (rank, worker) in ranked.enumerated() { quotas[worker] = base + (rank < extra ? 1 : 0) }
        return quotas
    }

    private mutating func startRevoke(_ p: PartitionID, now: Int64) -> [Directive] {
        guard var lease = leases[p], !lease.revoking else { return [] }
        lease.revoking = true
        lease.revokedAt = now
        leases[p] = lease
        return [.revoke(worker: lease.holder, partition: p, epoch: lease.epoch)]
    }
}
