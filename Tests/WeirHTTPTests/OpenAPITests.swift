import Testing
import WeirCore
import WeirHTTP
import Yams

/// `openapi.yaml` describes exactly the routes the server has.
@Suite struct OpenAPITests {
    /// Only the routes are looked at: no request reaches this.
    struct Unreachable: ClusterAPI {
        static let error = APIError.unavailable("test", "not a cluster")
        func ingest(stream: String, body: [UInt8], producer: ProducerBatch?) async throws(APIError) -> IngestResult { throw Self.error }
        func submitJob(specText: String) async throws(APIError) -> JobInfo { throw Self.error }
        func listJobs() async -> [JobInfo] { [] }
        func cancelJob(name: String) async throws(APIError) { throw Self.error }
        func listStreams() async -> [StreamInfo] { [] }
        func declareStream(name: String, keyField: String?) async throws(APIError) -> StreamInfo { throw Self.error }
        func clusterStatus() async -> ClusterStatus { ClusterStatus(workers: [], partitions: [], streams: [], jobs: [], eventsAccepted: 0, eventsRejected: 0) }
        func query(job: String, _ query: RollupQuery) async throws(APIError) -> RollupAnswer { throw Self.error }
        func diagnose(job: String) async throws(APIError) -> JobDiagnosis { throw Self.error }
        func metricsText() async -> String { "" }
        func tap(stream: String, fromStart: Bool) async throws(APIError) -> AsyncStream<[UInt8]> { throw Self.error }
    }

    func document() throws -> [String: Any] {
        try #require(try Yams.load(yaml: OpenAPIDocument.yaml) as? [String: Any])
    }

    @Test func everyRouteIsDocumentedAndEveryDocumentedPathExists() throws {
        let paths = try #require(try document()["paths"] as? [String: Any])
        var documented: [String] = []
        for (path, item) in paths {
            for method in (item as? [String: Any] ?? [:]).keys where ["get", "put", "post", "delete", "patch"].contains(method) {
                documented.append("\(method.uppercased()) \(path)")
            }
        }
        let routes = HTTPServer(settings: .init(), api: Unreachable()).routeList
        #expect(routes.count >= 17)
        #expect(documented.sorted() == routes, "documented only: \(Set(documented).subtracting(routes).sorted()); routes only: \(Set(routes).subtracting(documented).sorted())")
    }

    @Test func everyOperationHasAnErrorAnswerAndItsPathParametersDeclared() throws {
        let doc = try document()
        #expect(doc["openapi"] as? String == "3.0.3")
        let parameters = (doc["components"] as? [String: Any])?["parameters"] as? [String: Any] ?? [:]
        for (path, item) in try #require(doc["paths"] as? [String: Any]) {
            for (method, op) in item as? [String: Any] ?? [:] {
                let operation = try #require(op as? [String: Any])
                let responses = try #require(operation["responses"] as? [String: Any], "\(method) \(path) has responses")
                #expect(responses["default"] != nil, "\(method) \(path) documents its error answer")
                // Each {name} in the path is a declared path parameter.
                let declared: [String] = (operation["parameters"] as? [[String: Any]] ?? []).compactMap { p in
                    if let ref = p["$ref"] as? String { return (parameters[String(ref.split(separator: "/").last ?? "")] as? [String: Any])?["name"] as? String }
                    return p["name"] as? String
                }
                let needed = path.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) }
                for name in needed { #expect(declared.contains(name), "\(method) \(path) declares {\(name)}") }
            }
        }
    }
}
