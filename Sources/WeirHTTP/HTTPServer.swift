import Foundation
import Hummingbird
import ServiceLifecycle
import Logging
import NIOCore
import WeirCodec
import WeirCore

/// The HTTP API of a coordinator: ingest, streams, jobs, rollups and cluster status, every
/// error answered as `{"error": {"code", "message"}}` with its 4xx/5xx status.
public struct HTTPServer: Sendable {
    public struct Settings: Sendable {
        public var host = "127.0.0.1"
        /// 0 picks a free port (reported through `onRunning`).
        public var port = 7480
        /// Largest request body accepted (compressed size for zstd bodies). Default 64 MiB.
        public var bodyBytesMax = 64 << 20
        /// Largest decompressed zstd body. Default 256 MiB.
        public var decompressedBytesMax = 256 << 20
        /// When set, every request but `/healthz` needs a bearer token of the right scope.
        public var tokens: AuthTokens?
        /// A request's head must arrive within this of the connection opening (or of the
        /// previous response's end); slower clients are disconnected. Default 10 s.
        public var headTimeoutSeconds: Int64 = 10
        /// A request's body must arrive within this of its head. Default 60 s.
        public var bodyTimeoutSeconds: Int64 = 60
        /// Largest answer a query may produce, in rows (400 `result_too_large` above). Default 2,000,000.
        public var resultRowsMax = 2_000_000
        /// Longest `last=` and longest explicit `from`…`to` span of a query. Default 31 days.
        public var queryRangeMillisecondsMax: Int64 = 31 * 86_400_000
        public init() {}
    }

    public let settings: Settings
    let api: any ClusterAPI
    let logger: Logger

    public init(settings: Settings, api: any ClusterAPI, logger: Logger = Logger(label: "weir.http")) {
        self.settings = settings
        self.api = api
        self.logger = logger
    }

    /// Serves until cancelled; `onRunning` receives the bound port.
    public func run(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let head = TimeAmount.seconds(settings.headTimeoutSeconds), body = TimeAmount.seconds(settings.bodyTimeoutSeconds)
        let app = Application(
            router: makeRouter(),
            server: .http1(configuration: .init(additionalChannelHandlers: [RequestDeadlineHandler(headTimeout: head, bodyTimeout: body)])),
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "weir"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? settings.port) },
            logger: logger)
        // Stopped by cancellation (the process is shutting down): shut the server down gracefully
        // (stop accepting, let requests in flight finish) rather than cancelling its accept loop,
        // which Hummingbird logs as an error. Held-open streams (SSE) are cut after a second.
        var configuration = ServiceGroupConfiguration(services: [.init(service: app)], logger: logger)
        configuration.maximumGracefulShutdownDuration = .seconds(1)
        let group = ServiceGroup(configuration: configuration)
        // Its own task, so our cancellation reaches the server only as the graceful shutdown.
        let serving = Task { try await group.run() }
        try await withTaskCancellationHandler {
            try await serving.value
        } onCancel: {
            Task { await group.triggerGracefulShutdown() }
        }
    }

    /// Every registered route as `METHOD /path/{param}` (for the OpenAPI check).
    public var routeList: [String] {
        Self.routes(of: makeRouter()).map { "\($0.method) \($0.path)" }.sorted()
    }

    static func routes(of router: Router<BasicRequestContext>) -> [(method: String, path: String)] {
        router.routes.map { route in
            let path = route.path.description.split(separator: "/", omittingEmptySubsequences: false)
                .map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
            return ("\(route.method)", path.isEmpty ? "/" : path)
        }
    }


    func makeRouter() -> Router<BasicRequestContext> {
        // The error middleware needs the route patterns (for 405): learned from a first router.
        let probe = Router(context: BasicRequestContext.self)
        addRoutes(to: probe)
        var byPath: [String: [String]] = [:]
        for route in Self.routes(of: probe) { byPath[route.path, default: []].append(route.method) }
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: JSONErrorMiddleware(knownPaths: byPath.map { (Array($0.key.split(separator: "/", omittingEmptySubsequences: false)), $0.value) }))
        if let tokens = settings.tokens { router.add(middleware: AuthMiddleware(tokens: tokens)) }
        addRoutes(to: router)
        return router
    }

    func addRoutes(to router: Router<BasicRequestContext>) {
        let api = self.api
        router.get("/healthz") { _, _ in Self.json(.ok, "{\"status\":\"ok\"}") }
        router.post("/v1/streams/:stream/events") { request, context in
            await Self.respond {
                let stream = try Self.parameter(context, "stream")
                let body = try await self.body(request)
                guard body.contains(where: { $0 != 10 && $0 != 13 && $0 != 32 && $0 != 9 }) else {
                    throw APIError.badRequest("empty_body", "the request has no events: send one JSON object per line")
                }
                let result = try await api.ingest(stream: stream, body: body, producer: try Self.producerBatch(request.headers))
                if result.accepted == 0 && result.rejected > 0 {
                    return Self.json(.badRequest, APIJSON.ingest(result))
                }
                return Self.json(.ok, APIJSON.ingest(result))
            }
        }
        router.get("/v1/streams") { _, _ in Self.json(.ok, APIJSON.streams(await api.listStreams())) }
        router.put("/v1/streams/:stream") { request, context in
            await Self.respond {
                let name = try Self.parameter(context, "stream")
                let body = String(decoding: try await self.body(request), as: UTF8.self)
                let key = try Self.streamKey(body)
                var j = JSONBuilder()
                APIJSON.stream(try await api.declareStream(name: name, keyField: key), into: &j)
                return Self.json(.ok, j.text)
            }
        }
        router.get("/v1/streams/:stream/tap") { request, context in
            await Self.respond {
                let stream = try Self.parameter(context, "stream")
                let from = request.uri.queryParameters["from"].map(String.init) ?? "now"
                guard from == "now" || from == "start" else {
                    throw APIError.badRequest("bad_parameter", "from=\(from): expected now or start")
                }
                for (name, _) in request.uri.queryParameters where name != "from" && name != "access_token" {
                    throw APIError.badRequest("unknown_parameter", "unknown query parameter '\(name)' (known: from)")
                }
                let events = try await api.tap(stream: stream, fromStart: from == "start")
                return Response(status: .ok, headers: [.contentType: "application/x-ndjson", .cacheControl: "no-cache"],
                                body: ResponseBody(asyncSequence: events.map { ByteBuffer(bytes: $0) }))
            }
        }
        router.get("/v1/jobs") { _, _ in Self.json(.ok, APIJSON.jobs(await api.listJobs())) }
        router.post("/v1/jobs") { request, _ in
            await Self.respond {
                let text = String(decoding: try await self.body(request), as: UTF8.self)
                return Self.json(.created, APIJSON.job(try await api.submitJob(specText: text)))
            }
        }
        router.get("/v1/jobs/:job") { _, context in
            await Self.respond {
                let name = try Self.parameter(context, "job")
                guard let info = await api.listJobs().first(where: { $0.name == name }) else {
                    throw APIError.notFound("unknown_job", "no job named \(name)")
                }
                return Self.json(.ok, APIJSON.job(info))
            }
        }
        router.delete("/v1/jobs/:job") { _, context in
            await Self.respond {
                try await api.cancelJob(name: try Self.parameter(context, "job"))
                return Self.json(.ok, "{\"cancelled\":true}")
            }
        }
        router.get("/v1/jobs/:job/rollups") { request, context in
            await Self.respond {
                let job = try Self.parameter(context, "job")
                let pairs = request.uri.queryParameters.map { (String($0.key), String($0.value)) }
                let query = try self.limited(try QueryParameters.parse(pairs))
                let format = pairs.last { $0.0 == "format" }?.1 ?? "json"
                let answer = try self.limited(try await api.query(job: job, query))
                switch format {
                case "json":
                    var response = Self.json(.ok, APIJSON.rollups(answer))
                    response.headers.append(contentsOf: AnswerHeaders.fields(answer))
                    return response
                case "csv", "ndjson":
                    // Byte for byte what `weir run --format csv|ndjson` writes for the same rows. These
                    // formats cannot say an answer is partial, so a partial answer is an error here;
                    // how fresh it is goes in the headers.
                    guard answer.isComplete else {
                        throw APIError.unavailable("incomplete_answer",
                            "partitions \(answer.partitionsMissing) did not answer (being moved, or no live worker); retry, or use format=json to see the partial answer")
                    }
                    guard let spec = await api.listJobs().first(where: { $0.name == job }).flatMap({ try? JobSpecParser.parse($0.specText) }) else {
                        throw APIError.notFound("unknown_job", "no job named \(job)")
                    }
                    var out: [UInt8] = []
                    if format == "csv" { out += Array((RollupWriter.header(spec) + "\n").utf8) }
                    for w in answer.windows {
                        for row in w.rows { RollupWriter.appendLine(row, spec: spec, format: format == "csv" ? .csv : .ndjson, to: &out) }
                    }
                    var headers: HTTPFields = [.contentType: format == "csv" ? "text/csv" : "application/x-ndjson"]
                    headers.append(contentsOf: AnswerHeaders.fields(answer))
                    return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: out)))
                default:
                    throw APIError.badRequest("bad_parameter", "format=\(format): expected json, csv or ndjson")
                }
            }
        }
        router.get("/v1/jobs/:job/diagnosis") { _, context in
            await Self.respond { Self.json(.ok, APIJSON.diagnosis(try await api.diagnose(job: try Self.parameter(context, "job")))) }
        }
        router.get("/openapi.yaml") { _, _ in Self.text(OpenAPIDocument.yaml, type: "application/yaml; charset=utf-8") }
        router.get("/metrics") { _, _ in Self.text(await api.metricsText(), type: "text/plain; version=0.0.4; charset=utf-8") }
        router.get("/v1/cluster") { _, _ in Self.json(.ok, APIJSON.cluster(await api.clusterStatus())) }
        addPushRoutes(to: router)
        addDashboardRoutes(to: router)
    }

    /// The query, if its range is within the limit.
    func limited(_ query: RollupQuery) throws(APIError) -> RollupQuery {
        let limit = settings.queryRangeMillisecondsMax, text = DurationText.format(milliseconds: limit)
        if let last = query.lastMilliseconds, last > limit {
            throw .badRequest("range_too_large", "last=\(DurationText.format(milliseconds: last)) is longer than the limit of \(text)")
        }
        if query.from > .min && query.to < .max, query.to.subtractingReportingOverflow(query.from).overflow || query.to - query.from > limit {
            throw .badRequest("range_too_large", "from…to spans more than the limit of \(text); ask for a shorter range")
        }
        return query
    }

    /// The answer, if it is within the result size limit.
    func limited(_ answer: RollupAnswer) throws(APIError) -> RollupAnswer {
        let rows = answer.windows.reduce(0) { $0 + $1.rows.count }
        guard rows <= settings.resultRowsMax else {
            throw .badRequest("result_too_large", "the answer has \(rows) rows, more than the limit of \(settings.resultRowsMax); narrow it with from/to, last, where or top")
        }
        return answer
    }

    /// The request body, bounded, decompressed when `Content-Encoding: zstd`.
    func body(_ request: Request) async throws(APIError) -> [UInt8] {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: settings.bodyBytesMax)
        } catch {
            throw .tooLarge("request body exceeds \(settings.bodyBytesMax) bytes; split it into smaller requests")
        }
        let bytes = Array(buffer.readableBytesView)
        switch request.headers[.contentEncoding]?.lowercased() {
        case nil, "identity": return bytes
        case "zstd":
            do {
                return try ZstdDecompressor().decompressAll(bytes, outputBytesMax: settings.decompressedBytesMax)
            } catch let e as ZstdError where e.message.contains("exceeds") {
                throw .tooLarge("zstd body decompresses to more than \(settings.decompressedBytesMax) bytes")
            } catch {
                throw .badRequest("bad_encoding", "the zstd body could not be decompressed: \(error)")
            }
        case let other?:
            throw APIError(.unsupportedEncoding, code: "unsupported_encoding", "Content-Encoding \(other) is not supported (use zstd or none)")
        }
    }

    static func parameter(_ context: BasicRequestContext, _ name: String) throws(APIError) -> String {
        guard let value = context.parameters.get(name) else { throw .badRequest("bad_path", "missing \(name) in the path") }
        return value
    }

    /// The idempotent producer's batch named by `Weir-Producer-Id` and `Weir-Producer-Seq`
    /// (decimal, from 1, both or neither); nil without them (at-least-once ingest).
    static func producerBatch(_ headers: HTTPFields) throws(APIError) -> ProducerBatch? {
        guard let idName = HTTPFields.Element.Name("Weir-Producer-Id"), let seqName = HTTPFields.Element.Name("Weir-Producer-Seq") else { return nil }
        let id = headers[idName], seq = headers[seqName]
        guard id != nil || seq != nil else { return nil }
        guard let id, let seq else {
            throw .badRequest("bad_producer", "send Weir-Producer-Id and Weir-Producer-Seq together (got only \(id == nil ? "Weir-Producer-Seq" : "Weir-Producer-Id"))")
        }
        guard let producer = UInt64(id), producer > 0 else {
            throw .badRequest("bad_producer", "Weir-Producer-Id \"\(id)\" is not a whole number from 1 to 18446744073709551615")
        }
        guard let number = UInt64(seq), number > 0 else {
            throw .badRequest("bad_producer", "Weir-Producer-Seq \"\(seq)\" is not a whole number from 1 (the producer's first batch) on")
        }
        return ProducerBatch(producer: producer, seq: number)
    }

    /// `{"key": "field"}`, `{"key": null}` or an empty body (no key).
    static func streamKey(_ body: String) throws(APIError) -> String? {
        let trimmed = body.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { return nil }
        guard let data = trimmed.data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw .badRequest("bad_body", "expected {\"key\": \"field\"} or an empty body")
        }
        let unknown = object.keys.filter { $0 != "key" }
        guard unknown.isEmpty else { throw .badRequest("unknown_field", "unknown field(s) \(unknown.sorted().joined(separator: ", ")); only key is allowed") }
        if object["key"] is NSNull || object["key"] == nil { return nil }
        guard let key = object["key"] as? String, !key.isEmpty else { throw .badRequest("bad_body", "key must be a field name or null") }
        return key
    }

    static func respond(_ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch let e as APIError {
            return json(e.kind.httpStatus, APIJSON.error(e))
        } catch {
            return json(.internalServerError, APIJSON.error(.internal("\(error)")))
        }
    }

    static func json(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text + "\n")))
    }
}
