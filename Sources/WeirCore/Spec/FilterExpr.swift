/// A boolean condition on an event's fields, written in a job spec's `filter`.
///
/// Comparisons follow SQL's handling of absent data: a comparison with a missing or null field is
/// false (so `not` of it is true), and comparing values of different types is false. Numbers
/// compare numerically, strings by UTF-8 bytes, booleans only for (in)equality.
public indirect enum FilterExpr: Sendable, Equatable {
    case and([FilterExpr])
    case or([FilterExpr])
    case not(FilterExpr)
    case compare(field: String, op: CompareOp, value: FieldValue)
    /// True when the value is one of the listed ones.
    case oneOf(field: String, values: [FieldValue])
    /// True when the field is present and not null.
    case exists(field: String)

    /// Every field the expression reads.
    public var fields: [String] {
        switch self {
        case .and(let xs), .or(let xs): return xs.flatMap(\.fields)
        case .not(let x): return x.fields
        case .compare(let f, _, _), .oneOf(let f, _), .exists(let f): return [f]
        }
    }

    /// Evaluates against a lookup of field values (nil = missing).
    public func evaluate(_ lookup: (String) -> FieldValue?) -> Bool {
        switch self {
        case .and(let xs): return xs.allSatisfy { $0.evaluate(lookup) }
        case .or(let xs): return xs.contains { $0.evaluate(lookup) }
        case .not(let x): return !x.evaluate(lookup)
        case .exists(let f):
            guard let v = lookup(f) else { return false }
            return v != .null
        case .oneOf(let f, let values):
            guard let v = lookup(f), v != .null else { return false }
            return values.contains(v)
        case .compare(let f, let op, let rhs):
            guard let lhs = lookup(f) else { return false }
            return op.holds(lhs, rhs)
        }
    }
}

/// A comparison operator in a filter.
public enum CompareOp: String, Sendable, Equatable, CaseIterable {
    case eq, ne, lt, le, gt, ge

    /// Whether `lhs op rhs` holds under the filter's typing rules.
    public func holds(_ lhs: FieldValue, _ rhs: FieldValue) -> Bool {
        if lhs == .null || rhs == .null { return false }
        guard lhs.typeRank == rhs.typeRank else { return false }
        switch self {
        case .eq: return lhs == rhs
        case .ne: return lhs != rhs
        case .lt, .le, .gt, .ge:
            if case .bool = lhs { return false }
            switch self {
            case .lt: return lhs < rhs
            case .le: return lhs < rhs || lhs == rhs
            case .gt: return rhs < lhs
            default: return rhs < lhs || lhs == rhs
            }
        }
    }
}
