import WeirCodec
import WeirCore
import WeirWire

/// Everything the coordinator asks workers and waits for, one correlator per kind: each request
/// has a deadline on the coordinator's clock and ends once; timeouts are counted in `/metrics`
/// (`weir_requests_timed_out_total{kind}`).
struct CoordinatorRequests: Sendable {
    let numbers = RequestNumbers()
    /// Rollup queries: one report per partition owner (or standby) asked, gathered.
    let queries: RequestCorrelator<RequestID, QueryGather>
    /// A checkpoint's copy at one standby.
    let replications: RequestCorrelator<RequestID, Replication>
    /// A committed chain asked of one replica on a new owner's behalf.
    let stateRelays: RequestCorrelator<RequestID, StateRelayWait>

    init(clock: any ProcessClock, metrics: CoordinatorMetrics) {
        queries = RequestCorrelator(kind: "query", clock: clock, onTimeout: metrics.requestTimedOut)
        replications = RequestCorrelator(kind: "replication", clock: clock, onTimeout: metrics.requestTimedOut)
        stateRelays = RequestCorrelator(kind: "state", clock: clock, onTimeout: metrics.requestTimedOut)
    }

    /// Ends the requests past their deadline (called from the coordinator's 50 ms control loop).
    func expireOverdue() {
        queries.expireOverdue()
        replications.expireOverdue()
        stateRelays.expireOverdue()
    }

    /// A worker went away: nothing it was asked for will come.
    func workerGone(_ identity: WorkerIdentity) {
        queries.updateAll { gather in gather.stopWaiting(for: identity) }
        replications.updateAll { $0.standby == identity }
        stateRelays.updateAll { $0.source == identity }
    }
}

/// The reports of one query as they arrive.
struct QueryGather: Sendable {
    /// Workers asked that have not answered.
    var waiting: Set<WorkerIdentity>
    var reports: [PartitionReport] = []
    /// For a standby query: the (partition → epoch) asked for; reports are accepted by that
    /// instead of the current lease.
    var standby: [Int: UInt64]? = nil

    /// `identity` will not answer; true when nobody else is awaited.
    mutating func stopWaiting(for identity: WorkerIdentity) -> Bool {
        waiting.remove(identity)
        return waiting.isEmpty
    }
}

/// A copy of a checkpoint sent to a standby, and its answer.
struct Replication: Sendable {
    var standby: WorkerIdentity
    /// nil until answered (and when the standby went away).
    var status: ReplicaStatus?
}

/// A state request relayed to one replica, and what it shipped.
struct StateRelayWait: Sendable {
    var source: WorkerIdentity
    /// nil until it answers (and when it went away).
    var shipment: StateShipment?
}

/// What a replica shipped for a state request.
struct StateShipment: Sendable {
    var blobs: [[UInt8]]
    var error: String
}
