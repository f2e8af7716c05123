import Hummingbird
import NIOCore
import WeirCore

extension HTTPServer {
    /// `GET /v1/jobs/{job}/rollups/stream`: Server-Sent Events of the job's rollups. Takes the
    /// rollup query's parameters (default `last=5m`) and `interval` (how often the cluster is
    /// asked, 250ms…1m, default 1s). The first events are the current state (every window in
    /// range), then only changes; see `RollupPush`. A `: keepalive` comment goes out when nothing
    /// changed for 15 s, so proxies and clients keep the connection.
    func addPushRoutes(to router: Router<BasicRequestContext>) {
        let api = self.api
        router.get("/v1/jobs/:job/rollups/stream") { request, context in
            await Self.respond {
                let job = try Self.parameter(context, "job")
                let pairs = request.uri.queryParameters.map { (String($0.key), String($0.value)) }
                var asked = try self.limited(try QueryParameters.parse(pairs, routeParameters: ["interval"]))
                if asked.lastMilliseconds == nil && asked.from == .min && asked.to == .max { asked.lastMilliseconds = 5 * 60_000 }
                var interval: Int64 = 1000
                if let text = pairs.last(where: { $0.0 == "interval" })?.1 {
                    guard let ms = DurationText.milliseconds(text), (250...60_000).contains(ms) else {
                        throw APIError.badRequest("bad_parameter", "interval=\(text): expected a duration from 250ms to 1m")
                    }
                    interval = ms
                }
                // The first answer is asked before the response starts, so an unknown job or a
                // bad `by` is a plain JSON error with its status, not an event.
                let first = try self.limited(try await api.query(job: job, asked))
                let period = interval, query = asked
                let body = ResponseBody { (writer: inout any ResponseBodyWriter) in
                    var push = RollupPush()
                    var answer = first
                    var quietSince = ContinuousClock.now
                    while !Task.isCancelled {
                        let text = push.events(for: answer)
                        if !text.isEmpty {
                            try await writer.write(ByteBuffer(string: text))
                            quietSince = .now
                        } else if ContinuousClock.now - quietSince > .seconds(15) {
                            try await writer.write(ByteBuffer(string: ": keepalive\n\n"))
                            quietSince = .now
                        }
                        try await Task.sleep(for: .milliseconds(period))
                        do {
                            answer = try await api.query(job: job, query)
                        } catch let error as APIError where error.kind == .notFound {
                            try await writer.write(ByteBuffer(string: push.error(error)))
                            break
                        } catch {
                            continue  // a transient failure: ask again next period
                        }
                    }
                    try await writer.finish(nil)
                }
                return Response(status: .ok,
                                headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                                body: body)
            }
        }
    }
}
