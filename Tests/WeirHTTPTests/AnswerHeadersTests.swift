import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import WeirCore
import WeirHTTP

/// A CSV or NDJSON answer says how fresh it is in its headers (its body is `weir run`'s bytes):
/// a client that needs every acknowledged event counted checks the same response it reads.
@Suite struct AnswerHeadersTests {
    /// Answers every query with one canned answer: partition 1 from a standby, 554 events behind.
    struct Canned: ClusterAPI {
        static let spec = """
            name: views
            stream: clicks
            time: {field: ts, unit: ms}
            window: {type: tumbling, size: 10s}
            group_by: [page]
            aggregates:
              - {as: views, fn: count}
            """
        static var answer: RollupAnswer {
            let window = Window(start: 10_000, end: 20_000)
            let row = RollupRow(window: window, group: [.string("p1")], cells: [.integer(3)], isFinal: false)
            var answer = RollupAnswer(job: "views", groupBy: ["page"], columns: ["views"],
                                      windows: [.init(window: window, isFinal: false, lateEvents: 0, rows: [row])],
                                      watermark: 15_000, partitionsReporting: [0, 1], partitionsMissing: [],
                                      eventsAccepted: 3, eventsLate: 0, eventsRejected: 0)
            answer.eventsBehind = 554
            answer.eventsUncommitted = 7
            answer.sources = [PartitionSource(partition: 0, source: .primary, ownerEpoch: 4, stalenessMilliseconds: 0),
                              PartitionSource(partition: 1, source: .standby, ownerEpoch: 9, stalenessMilliseconds: 1_250)]
            return answer
        }
        static let error = APIError.unavailable("test", "not a cluster")
        func ingest(stream: String, body: [UInt8], producer: ProducerBatch?) async throws(APIError) -> IngestResult { throw Self.error }
        func submitJob(specText: String) async throws(APIError) -> JobInfo { throw Self.error }
        func listJobs() async -> [JobInfo] { [JobInfo(name: "views", stream: "clicks", specText: Self.spec)] }
        func cancelJob(name: String) async throws(APIError) { throw Self.error }
        func listStreams() async -> [StreamInfo] { [] }
        func declareStream(name: String, keyField: String?) async throws(APIError) -> StreamInfo { throw Self.error }
        func clusterStatus() async -> ClusterStatus { ClusterStatus(workers: [], partitions: [], streams: [], jobs: [], eventsAccepted: 0, eventsRejected: 0) }
        func query(job: String, _ query: RollupQuery) async throws(APIError) -> RollupAnswer { Self.answer }
        func diagnose(job: String) async throws(APIError) -> JobDiagnosis { throw Self.error }
        func metricsText() async -> String { "" }
        func tap(stream: String, fromStart: Bool) async throws(APIError) -> AsyncStream<[UInt8]> { throw Self.error }
    }

    @Test func csvNdjsonAndJsonAnswersCarryTheirFreshnessInHeaders() async throws {
        var settings = HTTPServer.Settings()
        settings.port = 0
        let server = HTTPServer(settings: settings, api: Canned())
        let port = AsyncStream<Int>.makeStream()
        let serving = Task { try await server.run { bound in port.continuation.yield(bound) } }
        defer { serving.cancel() }
        let bound = try #require(await port.stream.first { _ in true })
        for format in ["csv", "ndjson", "json"] {
            let url = try #require(URL(string: "http://127.0.0.1:\(bound)/v1/jobs/views/rollups?format=\(format)"))
            let (body, response) = try await URLSession.shared.data(from: url)
            let http = try #require(response as? HTTPURLResponse)
            #expect(http.statusCode == 200, "\(format): \(String(decoding: body, as: UTF8.self))")
            #expect(http.value(forHTTPHeaderField: "Weir-Events-Behind") == "554", "\(format)")
            #expect(http.value(forHTTPHeaderField: "Weir-Events-Uncommitted") == "7", "\(format)")
            #expect(http.value(forHTTPHeaderField: "Weir-Source") == "standby", "\(format)")
            #expect(http.value(forHTTPHeaderField: "Weir-Staleness-Ms") == "1250", "\(format)")
            #expect(http.value(forHTTPHeaderField: "Weir-Watermark") == "15000", "\(format)")
            if format == "csv" { #expect(String(decoding: body, as: UTF8.self) == "window_start,window_end,page,views\n10000,20000,p1,3\n") }
        }
    }
}
