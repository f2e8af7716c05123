/// A job spec that cannot be accepted: the field path at fault and what is wrong with it.
///
/// Printed as `window.size: "10x" is not a duration (line 6)`.
public struct SpecError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Dotted path of the offending field (`aggregates[2].field`), or empty for the whole file.
    public var path: String
    public var message: String
    /// 1-based line in the spec file, when known.
    public var line: Int?

    public init(path: String, message: String, line: Int? = nil) {
        self.path = path
        self.message = message
        self.line = line
    }

    public var description: String {
        let location = line.map { " (line \($0))" } ?? ""
        return path.isEmpty ? "\(message)\(location)" : "\(path): \(message)\(location)"
    }
}
