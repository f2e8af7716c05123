/// A partition log failure, naming the file and byte offset at fault.
public struct LogError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var offset: Int?
    public var message: String

    public init(_ path: String, offset: Int? = nil, _ message: String) {
        self.path = path
        self.offset = offset
        self.message = message
    }

    public var description: String {
        "\(path)\(offset.map { " at byte \($0)" } ?? ""): \(message)"
    }
}
