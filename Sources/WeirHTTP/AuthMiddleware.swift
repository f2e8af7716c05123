import Hummingbird
import WeirCore

/// Requires a bearer token when the server has tokens: `read` for GET requests, `write` for
/// the others. Open: `/healthz` (liveness probes) and the dashboard's static files (they hold
/// no data; the page asks for a read token and sends it with its API calls). The token comes in
/// `Authorization: Bearer TOKEN`, or for GET requests in `access_token=` (a browser's
/// EventSource cannot set headers; the dashboard passes it that way).
struct AuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let tokens: AuthTokens

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if Self.open.contains(request.uri.path) && request.method == .get { return try await next(request, context) }
        let needed: AuthTokens.Scope = request.method == .get || request.method == .head ? .read : .write
        var token: String?
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" { token = String(parts[1]) }
        } else if needed == .read {
            token = request.uri.queryParameters["access_token"].map(String.init)
        }
        guard let token else {
            return Self.refuse(.unauthorized, "unauthorized", "\(request.method) \(request.uri.path) needs a \(needed.rawValue) token: Authorization: Bearer TOKEN")
        }
        switch tokens.scope(of: token) {
        case nil:
            return Self.refuse(.unauthorized, "bad_token", "the token is not valid for this coordinator")
        case .read? where needed == .write:
            return Self.refuse(.forbidden, "forbidden", "\(request.method) \(request.uri.path) needs a write token; this one may only read")
        default:
            return try await next(request, context)
        }
    }

    static var open: Set<String> { ["/healthz", "/", "/dashboard.js", "/dashboard.css"] }

    static func refuse(_ kind: APIError.Kind, _ code: String, _ message: String) -> Response {
        var response = HTTPServer.json(kind.httpStatus, APIJSON.error(APIError(kind, code: code, message)))
        if kind == .unauthorized { response.headers[.wwwAuthenticate] = "Bearer realm=\"weir\"" }
        return response
    }
}
