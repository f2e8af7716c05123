/// The coordinator's lease logic: which worker holds which partition, under which epoch, until
/// when. A pure state machine: every input takes `now` (injected monotonic milliseconds) and
/// returns the directives the shell must carry out **in order** — in particular a
/// `.persistEpoch` must be durable before the `.grant` that follows it is sent.
///
/// Rules:
/// - each grant uses epoch = last persisted epoch + 1, so epochs never repeat, even across a
///   coordinator restart (the shell restores `persistedEpochs`);
/// - a lease lapses at (receive time of its last accepted renewal) + TTL + grace, or at once when
///   its worker's connection closes (the process is gone) or it releases the partition; a grant
///   its worker does not renew within TTL/3 is withdrawn (the worker is paused or starved, and
///   cannot have used a lease it never renewed);
/// - after its own restart the authority grants nothing for TTL + grace, because leases granted by
///   its previous run may still be valid at their holders;
/// - partitions are balanced over live workers: a joining worker gets partitions revoked from the
///   busiest ones (those whose state it already stores first; the others only after a warm-up);
/// - a free partition goes to a worker storing its committed checkpoint (its standby), even above
///   that worker's quota when its owner was lost or while another worker still warms up; each
///   owner's standbys are spread evenly over the other workers, so a dead owner's partitions fail
///   over to local state;
///   a revoked partition is regranted after the holder releases it or its lease lapses, and its
///   holder's renewals keep it alive for its last checkpoint up to the handoff limit;
/// - any request carrying an epoch other than the partition's current one is refused.
public struct LeaseAuthority: Sendable {
    public enum Directive: Sendable, Equatable {
        /// Make `epoch` (and its holder, the lease table's row) durable for `partition` before
        /// anything else is sent.
        case persistEpoch(partition: PartitionID, epoch: Epoch, holder: WorkerIdentity)
        case grant(worker: WorkerIdentity, partition: PartitionID, epoch: Epoch)
        case revoke(worker: WorkerIdentity, partition: PartitionID, epoch: Epoch)
        /// Informational: a lease lapsed without renewal or release; `lastRenewal` is when its
        /// holder was last heard of for it.
        case expired(worker: WorkerIdentity, partition: PartitionID, epoch: Epoch, lastRenewal: Int64)
        /// Informational: a grant was withdrawn because its worker did not renew it in time
        /// (`LeaseSettings.grantTakeUpMilliseconds`).
        case notTakenUp(worker: WorkerIdentity, partition: PartitionID, epoch: Epoch)
    }

    /// The answer to one lease in a renewal.
    public enum RenewVerdict: UInt8, Sendable, Equatable {
        case renewed = 0
        /// The epoch is not the partition's current one, or the worker is not its holder.
        case stale = 1
        /// The partition is being moved: stop, then release it.
        case revoked = 2
    }

    public struct Lease: Sendable, Equatable {
        public var holder: WorkerIdentity
        public var epoch: Epoch
        public var lastRenewalReceived: Int64
        public var revoking: Bool
        /// When the revoke was sent: the holder's renewals keep a revoked lease alive (for its
        /// last checkpoint) until `revokedAt + handoffLimit`, never longer.
        public var revokedAt: Int64 = 0
        /// When it was granted: balancing leaves a partition with its new owner for one TTL, so
        /// a failover is not followed at once by a move back (the partition would stand still twice).
        public var grantedAt: Int64 = 0
        /// Its holder renewed it at least once. A holder uses a lease only once a renewal's
        /// answer made it valid there, so until then the grant can be withdrawn at once.
        public var takenUp = false
    }

    struct WorkerEntry: Sendable {
        var identity: WorkerIdentity
        var leaving: Bool
        /// False after one of its leases lapsed without renewal (paused, overloaded or cut off),
        /// until it renews again: such a worker gets no grants, so its partitions go elsewhere.
        var responsive = true
        /// When it (re)joined: partitions are taken from others for it only after it settled.
        var joinedAt: Int64 = 0
    }

    public let settings: LeaseSettings
    public let partitionCount: Int
    /// The highest epoch persisted per partition.
    public internal(set) var persistedEpochs: [Epoch]
    public internal(set) var leases: [Lease?]
    var workers: [String: WorkerEntry] = [:]
    /// Per partition, the names of workers holding its committed checkpoint: grants go to them
    /// first (set by the shell as checkpoints commit).
    public var preferredHolders: [[String]] = []
    /// Partitions whose owner was lost (gone or silent) and that are not granted again yet: they
    /// go to a worker storing their state even above its quota (see `rebalance`).
    var lostOwner: Set<PartitionID> = []
    /// No grant before this time (restart quiet period).
    let grantsAllowedFrom: Int64

    /// - Parameters:
    ///   - persistedEpochs: the epochs restored from durable storage (zeros on first start).
    ///   - startedAt: the time of this start; grants begin after TTL + grace when `restarted`.
    public init(partitionCount: Int, persistedEpochs: [Epoch], settings: LeaseSettings, startedAt now: Int64, restarted: Bool) {
        precondition(persistedEpochs.count == partitionCount, "need one persisted epoch per partition")
        self.settings = settings
        self.partitionCount = partitionCount
        self.persistedEpochs = persistedEpochs
        leases = Array(repeating: nil, count: partitionCount)
        grantsAllowedFrom = restarted ? now + settings.ttlMilliseconds + settings.regrantGraceMilliseconds : now
    }

    /// Live workers (connected, responsive, not leaving), in name order.
    public var liveWorkers: [WorkerIdentity] {
        workers.values.filter { !$0.leaving && $0.responsive }.map(\.identity).sorted()
    }

    public var allWorkers: [WorkerIdentity] { workers.values.map(\.identity).sorted() }

    /// A worker connected and registered. A new incarnation of a known name replaces the old
    /// one, whose leases end at once (that process is gone).
    public mutating func workerJoined(_ worker: WorkerIdentity, now: Int64) -> [Directive] {
        if let existing = workers[worker.name] {
            if existing.identity == worker { return rebalance(now: now) }
            if existing.identity.incarnation > worker.incarnation { return [] }  // an older run's late hello
            releaseAll(of: existing.identity)
        }
        workers[worker.name] = WorkerEntry(identity: worker, leaving: false, joinedAt: now)
        return rebalance(now: now)
    }

    /// The worker's connection closed: its process is gone (or it gave up), so its leases end now.
    public mutating func workerDisconnected(_ worker: WorkerIdentity, now: Int64) -> [Directive] {
        guard workers[worker.name]?.identity == worker else { return [] }
        workers[worker.name] = nil
        releaseAll(of: worker)
        return rebalance(now: now)
    }

    /// The worker asked to leave cleanly: revoke everything it holds; it disconnects afterwards.
    public mutating func workerLeaving(_ worker: WorkerIdentity, now: Int64) -> [Directive] {
        guard workers[worker.name]?.identity == worker else { return [] }
        workers[worker.name]?.leaving = true
        return rebalance(now: now)
    }

    /// Renews the worker's leases; one verdict per `(partition, epoch)`, in order.
    public mutating func renew(_ worker: WorkerIdentity, leases requested: [(partition: PartitionID, epoch: Epoch)], now: Int64) -> [RenewVerdict] {
        if workers[worker.name]?.identity == worker { workers[worker.name]?.responsive = true }
        return requested.map { p, epoch in
            guard p >= 0, p < partitionCount, isCurrent(worker, p, epoch, now: now), var lease = leases[p] else { return .stale }
            lease.takenUp = true
            if lease.revoking {
                // A holder handing off still renews so its last checkpoint can commit, up to a limit:
                // past it the lease lapses as usual and the next owner replays from the last commit.
                if now - lease.revokedAt < settings.handoffLimitMilliseconds {
                    lease.lastRenewalReceived = max(lease.lastRenewalReceived, now)
                    leases[p] = lease
                }
                return .revoked
            }
            lease.lastRenewalReceived = max(lease.lastRenewalReceived, now)
            leases[p] = lease
            return .renewed
        }
    }

    /// The fencing check for every request that reads or changes a partition's data: true only
    /// for the current holder under the current epoch, while its lease has not lapsed.
    public func isCurrent(_ worker: WorkerIdentity, _ partition: PartitionID, _ epoch: Epoch, now: Int64) -> Bool {
        guard partition >= 0, partition < partitionCount, let lease = leases[partition] else { return false }
        return lease.holder == worker && lease.epoch == epoch && now <= expiry(of: lease)
    }

    /// The holder stopped working on the partition (after a revoke, or when leaving).
    public mutating func released(_ worker: WorkerIdentity, partition: PartitionID, epoch: Epoch, now: Int64) -> [Directive] {
        guard partition >= 0, partition < partitionCount, let lease = leases[partition],
              lease.holder == worker, lease.epoch == epoch else { return [] }
        leases[partition] = nil
        return rebalance(now: now)
    }

    /// Periodic: lapse expired leases and grant free partitions.
    public mutating func tick(now: Int64) -> [Directive] {
        var directives: [Directive] = []
        for p in 0..<partitionCount {
            guard let lease = leases[p] else { continue }
            if now > expiry(of: lease) {
                dropSilentHolder(p, lease)
                directives.append(.expired(worker: lease.holder, partition: p, epoch: lease.epoch, lastRenewal: lease.lastRenewalReceived))
            } else if !lease.takenUp, now - lease.grantedAt > settings.grantTakeUpMilliseconds {
                dropSilentHolder(p, lease)
                directives.append(.notTakenUp(worker: lease.holder, partition: p, epoch: lease.epoch))
            }
        }
        return directives + rebalance(now: now)
    }

    func expiry(of lease: Lease) -> Int64 {
        lease.lastRenewalReceived + settings.ttlMilliseconds + settings.regrantGraceMilliseconds
    }

    /// Ends the lease of a holder gone silent (it lapsed, or was never taken up). The partition
    /// stands still until granted again, so like a lost owner's it goes to a worker storing its
    /// state; the holder gets no grants until it renews again.
    private mutating func dropSilentHolder(_ p: PartitionID, _ lease: Lease) {
        leases[p] = nil
        lostOwner.insert(p)
        if workers[lease.holder.name]?.identity == lease.holder { workers[lease.holder.name]?.responsive = false }
    }

    private mutating func releaseAll(of worker: WorkerIdentity) {
        for p in 0..<partitionCount where leases[p]?.holder == worker {
            leases[p] = nil
            lostOwner.insert(p)
        }
    }
}
