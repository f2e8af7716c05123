import Hummingbird
import WeirCore

/// Answers the framework's own errors (unknown path, wrong method) in the API's JSON error form,
/// so every error a client sees has the same shape. A path that exists with another method is
/// answered 405 with `Allow` (the router alone says 404).
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Route patterns (`/v1/jobs/{job}`) → their methods.
    let knownPaths: [(pattern: [Substring], methods: [String])]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            if error.status == .notFound, let allowed = allowedMethods(request.uri.path) {
                let message = "\(request.method) is not allowed on \(request.uri.path) (allowed: \(allowed.joined(separator: ", ")))"
                var response = HTTPServer.json(.methodNotAllowed, APIJSON.error(APIError(.methodNotAllowed, code: "method_not_allowed", message)))
                response.headers[.allow] = allowed.joined(separator: ", ")
                return response
            }
            let code = error.status == .notFound ? "not_found" : error.status == .methodNotAllowed ? "method_not_allowed" : "http_\(error.status.code)"
            let message = "\(request.method) \(request.uri.path): \(error.body ?? error.status.reasonPhrase)"
            return HTTPServer.json(error.status, APIJSON.error(APIError(APIError.Kind(httpStatus: error.status), code: code, message)))
        }
    }

    /// The methods of the route whose pattern matches `path`, if any.
    func allowedMethods(_ path: String) -> [String]? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        for known in knownPaths where known.pattern.count == parts.count {
            let matches = zip(known.pattern, parts).allSatisfy { p, s in p.hasPrefix("{") ? !s.isEmpty : p == s }
            if matches { return known.methods }
        }
        return nil
    }
}
