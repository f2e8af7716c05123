import Hummingbird
import WeirCore

/// Answers the framework's own errors (unknown path, wrong method) in the API's JSON error form,
/// so every error a client sees has the same shape.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            let code = error.status == .notFound ? "not_found" : error.status == .methodNotAllowed ? "method_not_allowed" : "http_\(error.status.code)"
            let message = "\(request.method) \(request.uri.path): \(error.body ?? error.status.reasonPhrase)"
            return HTTPServer.json(error.status, APIJSON.error(APIError(status: error.status.code, code: code, message)))
        }
    }
}
