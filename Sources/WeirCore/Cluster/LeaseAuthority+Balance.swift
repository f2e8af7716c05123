extension LeaseAuthority {
    /// Moves toward an even spread: revokes partitions from workers above their quota (and from
    /// leaving workers), grants free partitions to the workers furthest below theirs.
    mutating func rebalance(now: Int64) -> [Directive] {
        let live = liveWorkers
        var directives: [Directive] = []
        var held: [WorkerIdentity: [PartitionID]] = [:]
        for p in 0..<partitionCount {
            guard let lease = leases[p], !lease.revoking else { continue }
            if workers[lease.holder.name]?.identity != lease.holder || workers[lease.holder.name]?.leaving == true {
                directives += startRevoke(p)
            } else {
                held[lease.holder, default: []].append(p)
            }
        }
        guard !live.isEmpty else { return directives }
        let quotas = quotas(for: live, held: held)
        // Partitions move to a newly joined worker only once it has settled (free ones it gets now).
        let settled = live.filter { now - (workers[$0.name]?.joinedAt ?? 0) >= settings.joinSettleMilliseconds }
        let revokeQuotas = settled.count == live.count || settled.isEmpty ? quotas : self.quotas(for: settled, held: held)
        let wanting = Set(live.filter { (held[$0]?.count ?? 0) < (quotas[$0] ?? 0) }.map(\.name))
        for worker in live {
            let mine = held[worker] ?? []
            let excess = mine.count - (revokeQuotas[worker] ?? quotas[worker] ?? 0)
            if excess > 0 {
                // Move first the partitions a worker below its quota already stores the state of:
                // it restores them locally instead of fetching the state.
                let ordered = mine.sorted { a, b in
                    let ra = hasStateAt(a, wanting), rb = hasStateAt(b, wanting)
                    return ra != rb ? ra : a > b
                }
                let moving = Array(ordered.prefix(excess))
                for p in moving { directives += startRevoke(p) }
                held[worker] = mine.filter { !moving.contains($0) }
            }
        }
        guard now >= grantsAllowedFrom else { return directives }
        for p in 0..<partitionCount where leases[p] == nil {
            let candidates = live.filter { (held[$0]?.count ?? 0) < (quotas[$0] ?? 0) }
            // A worker that already stores the partition's committed checkpoint restores it locally.
            let preferred = p < preferredHolders.count ? candidates.filter { preferredHolders[p].contains($0.name) } : []
            guard let worker = (preferred.isEmpty ? candidates : preferred)
                .min(by: { (held[$0]?.count ?? 0, $0) < (held[$1]?.count ?? 0, $1) }) else { break }
            let epoch = persistedEpochs[p] + 1
            persistedEpochs[p] = epoch
            leases[p] = Lease(holder: worker, epoch: epoch, lastRenewalReceived: now, revoking: false)
            held[worker, default: []].append(p)
            directives.append(.persistEpoch(partition: p, epoch: epoch, holder: worker))
            directives.append(.grant(worker: worker, partition: p, epoch: epoch))
        }
        return directives
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

    private mutating func startRevoke(_ p: PartitionID) -> [Directive] {
        guard var lease = leases[p], !lease.revoking else { return [] }
        lease.revoking = true
        leases[p] = lease
        return [.revoke(worker: lease.holder, partition: p, epoch: lease.epoch)]
    }
}
