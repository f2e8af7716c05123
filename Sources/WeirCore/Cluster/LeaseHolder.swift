/// A worker's view of its leases. A pure state machine like `LeaseAuthority`: inputs take `now`
/// (the worker's own monotonic milliseconds) and return directives for the shell.
///
/// A granted lease is not valid until a renewal sent after the grant is acknowledged; from then
/// on it is valid until (send time of the last acknowledged renewal) + TTL − margin. Work on a
/// partition stops the moment that passes, when a reply says the epoch is stale, when the
/// partition is revoked, or when the connection to the coordinator is lost.
public struct LeaseHolder: Sendable {
    public enum Directive: Sendable, Equatable {
        /// Send a renewal now for these leases, tagged `seq`.
        case sendRenewal(seq: UInt64, leases: [HeldLease])
        /// The lease became valid: start (or resume) work on the partition.
        case start(partition: PartitionID, epoch: Epoch)
        /// Stop all work on the partition at once.
        case stop(partition: PartitionID, epoch: Epoch, reason: StopReason)
        /// Tell the coordinator the partition is no longer worked on (after `.stop`).
        case release(partition: PartitionID, epoch: Epoch)
    }

    public enum StopReason: String, Sendable, Equatable {
        case expired, stale, revoked, superseded, disconnected, leaving
    }

    public struct HeldLease: Sendable, Equatable {
        public var partition: PartitionID
        public var epoch: Epoch
        /// nil until the first renewal after the grant is acknowledged.
        public var validUntil: Int64?
    }

    public let settings: LeaseSettings
    public private(set) var leases: [PartitionID: HeldLease] = [:]
    /// Revoked partitions whose last checkpoint is still being taken: renewals carry them so
    /// the authority keeps the lease (bounded by its handoff limit) until `handedOff`. No work
    /// but that checkpoint happens under them, and the authority fences it like any other.
    public private(set) var handingOff: [PartitionID: Epoch] = [:]
    private var renewalsInFlight: [UInt64: Int64] = [:]
    private var nextSeq: UInt64 = 1
    private var lastRenewalSent: Int64 = .min

    public init(settings: LeaseSettings) { self.settings = settings }

    /// True while work on `partition` under `epoch` is allowed.
    /// A renewal was sent and not answered yet.
    public var renewalOutstanding: Bool { !renewalsInFlight.isEmpty }

    public func isValid(_ partition: PartitionID, epoch: Epoch, now: Int64) -> Bool {
        guard let lease = leases[partition], lease.epoch == epoch, let until = lease.validUntil else { return false }
        return now < until
    }

    /// Partitions with a currently valid lease, in order.
    public func validPartitions(now: Int64) -> [(partition: PartitionID, epoch: Epoch)] {
        leases.values.filter { isValid($0.partition, epoch: $0.epoch, now: now) }
            .sorted { $0.partition < $1.partition }
            .map { ($0.partition, $0.epoch) }
    }

    public mutating func granted(partition: PartitionID, epoch: Epoch, now: Int64) -> [Directive] {
        var directives: [Directive] = []
        if let existing = leases[partition] {
            guard epoch > existing.epoch else { return [] }  // duplicate or delayed older grant
            directives.append(.stop(partition: partition, epoch: existing.epoch, reason: .superseded))
        }
        leases[partition] = HeldLease(partition: partition, epoch: epoch, validUntil: nil)
        handingOff[partition] = nil
        return directives + renewNow(now: now)
    }

    /// Periodic: end lapsed leases and renew (heartbeat) every TTL/3.
    public mutating func tick(now: Int64) -> [Directive] {
        var directives: [Directive] = []
        for lease in leases.values.sorted(by: { $0.partition < $1.partition }) {
            if let until = lease.validUntil, now >= until {
                leases[lease.partition] = nil
                directives.append(.stop(partition: lease.partition, epoch: lease.epoch, reason: .expired))
            }
        }
        // Forget renewals whose answer could no longer extend anything.
        renewalsInFlight = renewalsInFlight.filter { now - $0.value < settings.ttlMilliseconds }
        // Renew even with no leases: the renewal is also the heartbeat that tells the authority
        // this worker is responsive again after a pause.
        if lastRenewalSent == .min || now - lastRenewalSent >= settings.renewIntervalMilliseconds {
            directives += renewNow(now: now)
        }
        return directives
    }

    public mutating func renewNow(now: Int64) -> [Directive] {
        let seq = nextSeq
        nextSeq += 1
        renewalsInFlight[seq] = now
        lastRenewalSent = now
        let handing = handingOff.filter { leases[$0.key] == nil }.map { HeldLease(partition: $0.key, epoch: $0.value, validUntil: nil) }
        return [.sendRenewal(seq: seq, leases: (Array(leases.values) + handing).sorted { $0.partition < $1.partition })]
    }

    /// The coordinator answered renewal `seq`: one verdict per lease it carried.
    public mutating func renewalAnswered(seq: UInt64, verdicts: [(partition: PartitionID, epoch: Epoch, verdict: LeaseAuthority.RenewVerdict)], now: Int64) -> [Directive] {
        guard let sentAt = renewalsInFlight.removeValue(forKey: seq) else { return [] }  // duplicate or too old
        var directives: [Directive] = []
        for (p, epoch, verdict) in verdicts {
            if handingOff[p] == epoch, leases[p] == nil {
                if verdict == .stale { handingOff[p] = nil }  // lapsed: the last checkpoint will be refused anyway
                continue
            }
            guard var lease = leases[p], lease.epoch == epoch else { continue }
            switch verdict {
            case .renewed:
                let until = sentAt + settings.ttlMilliseconds - settings.holderMarginMilliseconds
                guard now < until else { continue }
                let wasValid = lease.validUntil.map { now < $0 } ?? false
                lease.validUntil = max(lease.validUntil ?? .min, until)
                leases[p] = lease
                if !wasValid { directives.append(.start(partition: p, epoch: epoch)) }
            case .stale:
                directives += drop(p, reason: .stale)
            case .revoked:
                directives += drop(p, reason: .revoked)
                handingOff[p] = epoch
                directives.append(.release(partition: p, epoch: epoch))
            }
        }
        return directives
    }

    /// The coordinator revoked the partition (rebalancing or our leave).
    public mutating func revoked(partition: PartitionID, epoch: Epoch) -> [Directive] {
        guard leases[partition]?.epoch == epoch else { return [] }
        handingOff[partition] = epoch
        return drop(partition, reason: .revoked) + [.release(partition: partition, epoch: epoch)]
    }

    /// The shell sent the release of a revoked partition: stop renewing it.
    public mutating func handedOff(partition: PartitionID, epoch: Epoch) {
        if handingOff[partition] == epoch { handingOff[partition] = nil }
    }

    /// Any reply said our epoch for the partition is stale.
    public mutating func refusedAsStale(partition: PartitionID, epoch: Epoch) -> [Directive] {
        guard leases[partition]?.epoch == epoch else { return [] }
        return drop(partition, reason: .stale)
    }

    /// The connection to the coordinator is gone: nothing can be renewed, so stop everything.
    public mutating func disconnected() -> [Directive] {
        renewalsInFlight.removeAll()
        handingOff.removeAll()
        return leases.keys.sorted().flatMap { drop($0, reason: .disconnected) }
    }

    private mutating func drop(_ p: PartitionID, reason: StopReason) -> [Directive] {
        guard let lease = leases.removeValue(forKey: p) else { return [] }
        return [.stop(partition: p, epoch: lease.epoch, reason: reason)]
    }
}
