/// An error answered to a user of the cluster API: a stable code, a message naming what and
/// where, and its class (user → 4xx, unavailable → 503, internal → 500).
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: Int
    public var code: String
    public var message: String

    public init(status: Int, code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public static func badRequest(_ code: String, _ message: String) -> APIError { APIError(status: 400, code: code, message) }
    public static func notFound(_ code: String, _ message: String) -> APIError { APIError(status: 404, code: code, message) }
    public static func conflict(_ code: String, _ message: String) -> APIError { APIError(status: 409, code: code, message) }
    public static func tooLarge(_ message: String) -> APIError { APIError(status: 413, code: "body_too_large", message) }
    public static func unavailable(_ code: String, _ message: String) -> APIError { APIError(status: 503, code: code, message) }
    public static func `internal`(_ message: String) -> APIError { APIError(status: 500, code: "internal", message) }

    public var description: String { "\(code): \(message)" }
}
