import WeirCore

/// Why a tool (a replay, a verify run, a recording, the local cluster) stopped: a message a
/// person can act on, classified as the cluster's API errors are. The `weir` executable prints
/// it as `weir: <message>` and exits 1.
public struct ToolError: Error, Sendable, CustomStringConvertible {
    public var message: String
    /// Whose the failure is: the user's input, something outside (a coordinator that cannot be
    /// reached, a disk), or a bug.
    public var origin: APIError.Origin

    public init(_ message: String, origin: APIError.Origin = .user) {
        self.message = message
        self.origin = origin
    }

    public var description: String { message }
}

/// A `ToolError` with `message` (the tools' and commands' one way to stop with a reason).
package func fail(_ message: String, origin: APIError.Origin = .user) -> ToolError {
    ToolError(message, origin: origin)
}
