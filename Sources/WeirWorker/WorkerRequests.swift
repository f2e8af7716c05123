import WeirCodec
import WeirCore
import WeirWire

/// Everything a worker asks the coordinator and waits for, one correlator per kind: each request
/// has a deadline on the worker's clock, ends once, and fails when the connection closes.
struct WorkerRequests: Sendable {
    let numbers = RequestNumbers()
    /// Log reads: the coordinator answers within its long-poll wait; a lost answer is asked again.
    let fetches: RequestCorrelator<RequestID, WireMessage?>
    /// A partition's checkpoint in flight, named by its lease (one at a time per partition).
    let checkpoints: RequestCorrelator<LeaseRef, WireMessage?>
    /// Committed state shipped from a replica through the coordinator.
    let states: RequestCorrelator<RequestID, WireMessage?>

    /// How long an answer may take before the request counts as lost.
    static let fetchDeadline: Duration = .seconds(30)
    static let stateDeadline: Duration = .seconds(30)
    /// Longer than the coordinator's own wait for standbys, which it bounds (`Coordinator.replicationDeadline`).
    static let checkpointDeadline: Duration = .seconds(60)

    init(clock: any ProcessClock) {
        fetches = RequestCorrelator(kind: "fetch", clock: clock)
        checkpoints = RequestCorrelator(kind: "checkpoint", clock: clock)
        states = RequestCorrelator(kind: "state", clock: clock)
    }

    /// Ends the requests past their deadline (called from the worker's 50 ms control loop).
    func expireOverdue() {
        fetches.expireOverdue()
        checkpoints.expireOverdue()
        states.expireOverdue()
    }

    func failAll(_ reason: String) {
        fetches.failAll(reason)
        checkpoints.failAll(reason)
        states.failAll(reason)
    }

    /// Requests that timed out so far, of every kind.
    var timedOutTotal: Int { fetches.counts.timedOut + checkpoints.counts.timedOut + states.counts.timedOut }

    /// One line of how requests ended (for the worker's periodic summary).
    var summary: String {
        [("fetch", fetches.counts), ("checkpoint", checkpoints.counts), ("state", states.counts)]
            .map { "\($0.0) \($0.1.answered) answered, \($0.1.timedOut) timed out, \($0.1.failed) failed" }
            .joined(separator: "; ")
    }
}
