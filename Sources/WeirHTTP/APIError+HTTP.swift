import HTTPTypes
import WeirCore

/// How the API's error kinds are spelled in HTTP.
extension APIError.Kind {
    var httpStatus: HTTPResponse.Status {
        switch self {
        case .badRequest: .badRequest
        case .notFound: .notFound
        case .conflict: .conflict
        case .tooLarge: .contentTooLarge
        case .unsupportedEncoding: .unsupportedMediaType
        case .methodNotAllowed: .methodNotAllowed
        case .unauthorized: .unauthorized
        case .forbidden: .forbidden
        case .unavailable: .serviceUnavailable
        case .internal: .internalServerError
        }
    }

    /// The kind an HTTP status stands for (errors raised by the HTTP layer itself).
    init(httpStatus: HTTPResponse.Status) {
        switch httpStatus {
        case .notFound: self = .notFound
        case .methodNotAllowed: self = .methodNotAllowed
        case .unauthorized: self = .unauthorized
        case .forbidden: self = .forbidden
        case .contentTooLarge: self = .tooLarge
        case .unsupportedMediaType: self = .unsupportedEncoding
        case .serviceUnavailable: self = .unavailable
        default: self = httpStatus.code >= 500 ? .internal : .badRequest
        }
    }
}
