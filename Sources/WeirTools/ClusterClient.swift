import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The CLI's client of a coordinator's HTTP API. Errors come back as the API's own message.
package struct ClusterClient: Sendable {
    package let base: String
    /// Sent as `Authorization: Bearer` when the coordinator has tokens.
    package let token: String?

    package init(address: String, token: String? = ProcessInfo.processInfo.environment["WEIR_TOKEN"]) {
        base = address.hasPrefix("http") ? address : "http://" + address
        self.token = token
    }

    package struct Failure: Error, CustomStringConvertible {
        package let status: Int
        package let code: String
        package let message: String
        package var description: String { status == 0 ? message : "\(message) [\(code), HTTP \(status)]" }
    }

    package func get(_ path: String, query: [URLQueryItem] = []) async throws -> [String: Any] {
        try await request("GET", path, query: query)
    }

    package func request(_ method: String, _ path: String, query: [URLQueryItem] = [], body: Data? = nil,
                 headers: [String: String] = [:]) async throws -> [String: Any] {
        let data = try await raw(method, path, query: query, body: body, headers: headers)
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
    }

    /// One request through a completion-handler data task. `URLSession.data(for:)` deadlocks on
    /// Linux when the awaiting task is cancelled while the response is being handled
    /// (swift-corelibs-foundation #5412: the cancellation handler takes the task's status lock,
    /// then the session's queue; the response handler takes them the other way round). `weir
    /// verify` hung that way once in CI when it cancelled its epoch watcher. A cancelled caller
    /// now waits for the request to end (every request has a timeout) instead.
    private static func send(_ request: URLRequest) async throws -> (Data, URLResponse) {
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<(Data, URLResponse), any Error>) in
            URLSession.shared.dataTask(with: request) { data, response, error in
                if let error {
                    done.resume(throwing: error)
                } else if let response {
                    done.resume(returning: (data ?? Data(), response))
                } else {
                    done.resume(throwing: URLError(.badServerResponse))
                }
            }.resume()
        }
    }

    /// The response body of a successful request; API errors throw `Failure`.
    package func raw(_ method: String, _ path: String, query: [URLQueryItem] = [], body: Data? = nil,
             headers: [String: String] = [:]) async throws -> Data {
        try await exchange(method, path, query: query, body: body, headers: headers).body
    }

    /// The body and the response headers of a successful request; API errors throw `Failure`.
    package func exchange(_ method: String, _ path: String, query: [URLQueryItem] = [], body: Data? = nil,
                  headers: [String: String] = [:]) async throws -> (body: Data, response: HTTPURLResponse) {
        guard var components = URLComponents(string: base + path) else {
            throw Failure(status: 0, code: "bad_address", message: "cannot form a URL from \(base)\(path)")
        }
        if !query.isEmpty { components.queryItems = query }
        guard let url = components.url else { throw Failure(status: 0, code: "bad_address", message: "bad URL \(base)\(path)") }
        var req = URLRequest(url: url)
        req.httpMethod = method
        req.httpBody = body
        req.timeoutInterval = 60
        for (k, v) in headers { req.setValue(v, forHTTPHeaderField: k) }
        if let token { req.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let data: Data, response: URLResponse
        do {
            (data, response) = try await Self.send(req)
        } catch {
            throw Failure(status: 0, code: "unreachable",
                          message: "cannot reach the coordinator at \(base.replacingOccurrences(of: "http://", with: "")) (\(error.localizedDescription)); is `weir up` running? set --http or WEIR_HTTP")
        }
        guard let http = response as? HTTPURLResponse else { throw Failure(status: 0, code: "bad_response", message: "not an HTTP response from \(base)") }
        guard (200..<300).contains(http.statusCode) else {
            let error = ((try? JSONSerialization.jsonObject(with: data)) as? [String: Any])?["error"] as? [String: Any]
            throw Failure(status: http.statusCode, code: error?["code"] as? String ?? "http_\(http.statusCode)",
                          message: error?["message"] as? String ?? String(decoding: data, as: UTF8.self))
        }
        return (data, http)
    }
}

/// A connection failure in a user's words, without the networking library's internals.
package enum ConnectFailure {
    package static func reason(_ error: any Error) -> String {
        let text = "\(error)"
        if text.contains("connectionRefused") || text.contains("Connection refused") || text.contains("errno: 111") { return "connection refused" }
        if text.contains("timeout") || text.contains("Timeout") { return "timed out" }
        if text.contains("unknownHost") || text.contains("resolve") { return "unknown host" }
        return "cannot connect"
    }
}
