/// One value of an event field, as Weir groups, filters and reports it.
///
/// Values order canonically — null < booleans < numbers < strings; numbers numerically,
/// strings by their UTF-8 bytes — so sorted output never depends on hashing or locale.
public enum FieldValue: Hashable, Sendable, Comparable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Decimal9)
    case string(String)

    var typeRank: Int {
        switch self {
        case .null: return 0
        case .bool: return 1
        case .number: return 2
        case .string: return 3
        }
    }

    public static func < (lhs: FieldValue, rhs: FieldValue) -> Bool {
        switch (lhs, rhs) {
        case let (.bool(a), .bool(b)): return !a && b
        case let (.number(a), .number(b)): return a < b
        case let (.string(a), .string(b)): return FieldValue.utf8Precedes(a, b)
        default: return lhs.typeRank < rhs.typeRank
        }
    }

    /// Byte-wise UTF-8 order of two strings.
    static func utf8Precedes(_ a: String, _ b: String) -> Bool {
        var a = a
        var b = b
        return a.withUTF8 { pa in b.withUTF8 { pb in ByteText.precedes(UnsafeRawBufferPointer(pa), UnsafeRawBufferPointer(pb)) } }
    }

    /// The text written in CSV cells: empty for null, canonical digits for numbers.
    public var description: String {
        switch self {
        case .null: return ""
        case .bool(let b): return b ? "true" : "false"
        case .number(let d): return d.description
        case .string(let s): return s
        }
    }

}

extension Array where Element == FieldValue {
    /// Lexicographic canonical order of value tuples (group keys).
    public func canonicallyPrecedes(_ other: [FieldValue]) -> Bool {
        for (a, b) in zip(self, other) where a != b { return a < b }
        return count < other.count
    }
}
