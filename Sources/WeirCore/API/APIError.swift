/// An error answered to a user of the cluster API: what kind of failure it is, a stable code,
/// and a message naming what and where. How a kind is spelled on a transport (an HTTP status)
/// is the transport's business (`WeirHTTP`); here it is classified by whose it is and whether
/// trying again can help.
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, independent of the transport.
    public enum Kind: Sendable, Equatable {
        case badRequest, notFound, conflict, tooLarge, unsupportedEncoding, methodNotAllowed
        case unauthorized, forbidden
        /// The cluster cannot do it now (the log cannot be written, it is shutting down).
        case unavailable
        case `internal`
    }

    /// Whose the failure is.
    public enum Origin: Sendable, Equatable {
        /// The caller's request is wrong: fix it, do not retry it as it is.
        case user
        /// Something outside the request (a disk, a peer, a shutdown): the same request may succeed later.
        case external
        /// A bug in Weir.
        case `internal`
    }

    public var kind: Kind
    public var code: String
    public var message: String

    public init(_ kind: Kind, code: String, _ message: String) {
        self.kind = kind
        self.code = code
        self.message = message
    }

    public var origin: Origin {
        switch kind {
        case .unavailable: .external
        case .internal: .internal
        default: .user
        }
    }

    /// Whether sending the same request again may succeed.
    public var isRetryable: Bool { origin == .external }

    public static func badRequest(_ code: String, _ message: String) -> APIError { APIError(.badRequest, code: code, message) }
    public static func notFound(_ code: String, _ message: String) -> APIError { APIError(.notFound, code: code, message) }
    public static func conflict(_ code: String, _ message: String) -> APIError { APIError(.conflict, code: code, message) }
    public static func tooLarge(_ message: String) -> APIError { APIError(.tooLarge, code: "body_too_large", message) }
    public static func unavailable(_ code: String, _ message: String) -> APIError { APIError(.unavailable, code: code, message) }
    public static func `internal`(_ message: String) -> APIError { APIError(.internal, code: "internal", message) }

    public var description: String { "\(code): \(message)" }
}
