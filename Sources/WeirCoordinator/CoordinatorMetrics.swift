import CoreMetrics
import Prometheus
import WeirCore

/// The coordinator's metrics, recorded through swift-metrics into a Prometheus registry of its
/// own (no process-wide bootstrap, so several coordinators can live in one test process) and
/// served as Prometheus text at `/metrics`.
///
/// Counters and histograms are recorded as things happen; per-partition and per-job gauges
/// (progress, lag, watermarks, job event counts) are set from live state when scraped.
public final class CoordinatorMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory

    init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.valueHistogramBuckets["weir_checkpoint_bytes"] = [1_024, 16_384, 262_144, 1_048_576, 4_194_304, 16_777_216, 67_108_864, 268_435_456]
        factory.durationHistogramBuckets["weir_query_duration_seconds"] = [.milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10)]
        self.factory = factory
    }

    func ingested(stream: String, accepted: Int, rejectedByReason: [String: Int]) {
        if accepted > 0 { Counter(label: "weir_events_ingested_total", dimensions: [("stream", stream)], factory: factory).increment(by: accepted) }
        for (reason, n) in rejectedByReason {
            Counter(label: "weir_events_rejected_total", dimensions: [("stream", stream), ("reason", reason)], factory: factory).increment(by: n)
        }
    }

    /// An idempotent producer's batch: a resend the log held already, or refused as older than
    /// the resend window (`outcome`: duplicate, stale).
    func producerBatch(stream: String, outcome: String) {
        Counter(label: "weir_producer_batches_total", dimensions: [("stream", stream), ("outcome", outcome)], factory: factory).increment()
    }

    func leaseGranted() { Counter(label: "weir_lease_grants_total", factory: factory).increment() }
    func leaseExpired() { Counter(label: "weir_lease_expirations_total", factory: factory).increment() }
    /// A fenced request refused because its epoch is not current (`kind`: checkpoint, fetch, query).
    func staleRefused(_ kind: String) { Counter(label: "weir_stale_requests_refused_total", dimensions: [("kind", kind)], factory: factory).increment() }

    /// A committed checkpoint: its size, the owner's capture stall, and the whole duration
    /// (capture, local store, shipping to the standby, commit).
    func checkpointCommitted(bytes: Int, stall: Duration, total: Duration) {
        Counter(label: "weir_checkpoints_committed_total", factory: factory).increment()
        Recorder(label: "weir_checkpoint_bytes", factory: factory).record(bytes)
        Timer(label: "weir_checkpoint_stall_seconds", factory: factory).recordNanoseconds(Self.nanoseconds(stall))
        Timer(label: "weir_checkpoint_duration_seconds", factory: factory).recordNanoseconds(Self.nanoseconds(total))
    }

    /// A worker reported a new problem with its checkpoint store (map full, disk full, I/O error).
    func checkpointStoreFailed(worker: String) {
        Counter(label: "weir_checkpoint_store_failures_total", dimensions: [("worker", worker)], factory: factory).increment()
    }

    /// A request to a worker got no answer before its deadline (`kind`: query, replication, state).
    @Sendable func requestTimedOut(_ kind: String) {
        Counter(label: "weir_requests_timed_out_total", dimensions: [("kind", kind)], factory: factory).increment()
    }

    func partitionMoved(kind: String, milliseconds: Int64) {
        Timer(label: "weir_partition_move_seconds", dimensions: [("kind", kind)], factory: factory).recordMilliseconds(milliseconds)
    }

    func queryAnswered(job: String, _ duration: Duration) {
        Timer(label: "weir_query_duration_seconds", dimensions: [("job", job)], factory: factory).recordNanoseconds(Self.nanoseconds(duration))
    }

    func gauge(_ name: String, _ dimensions: [(String, String)], _ value: Int64) {
        Gauge(label: name, dimensions: dimensions, factory: factory).record(value)
    }

    static func nanoseconds(_ d: Duration) -> Int64 {
        d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000
    }

    /// The registry as Prometheus text.
    func text() -> String { registry.emitToString() }
}
