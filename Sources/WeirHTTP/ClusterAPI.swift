import WeirCore

/// What the HTTP API needs from the cluster. The coordinator conforms in the executable, so
/// this target never imports it (and its tests can use any implementation).
public protocol ClusterAPI: Sendable {
    /// With `producer`, the batch of an idempotent producer: appended once however often sent.
    func ingest(stream: String, body: [UInt8], producer: ProducerBatch?) async throws(APIError) -> IngestResult
    func submitJob(specText: String) async throws(APIError) -> JobInfo
    func listJobs() async -> [JobInfo]
    func cancelJob(name: String) async throws(APIError)
    func listStreams() async -> [StreamInfo]
    func declareStream(name: String, keyField: String?) async throws(APIError) -> StreamInfo
    func clusterStatus() async -> ClusterStatus
    func query(job: String, _ query: RollupQuery) async throws(APIError) -> RollupAnswer
    /// Why the job has (or has no) output, from live facts.
    func diagnose(job: String) async throws(APIError) -> JobDiagnosis
    /// The stream's events as they arrive (from now, or from the oldest still kept), as
    /// batches of NDJSON lines.
    func tap(stream: String, fromStart: Bool) async throws(APIError) -> AsyncStream<[UInt8]>
    /// The metrics in Prometheus text format.
    func metricsText() async -> String
}
