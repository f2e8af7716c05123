/// A half-open event-time interval `[start, end)` in Unix-epoch milliseconds.
public struct Window: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var start: Int64
    public var end: Int64

    public init(start: Int64, end: Int64) {
        precondition(start < end, "a window must have start < end (got [\(start), \(end)))")
        self.start = start
        self.end = end
    }

    /// Canonical order: by start, then by end.
    public static func < (lhs: Window, rhs: Window) -> Bool {
        lhs.start != rhs.start ? lhs.start < rhs.start : lhs.end < rhs.end
    }

    public func contains(_ t: Int64) -> Bool { start <= t && t < end }

    public var description: String { "[\(start), \(end))" }
}

/// Integer division rounded toward negative infinity (event times may be negative).
@inlinable
public func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q
}

/// The greatest common divisor.
@inlinable
public func gcd(_ a: Int64, _ b: Int64) -> Int64 {
    var x = a, y = b
    while y != 0 { (x, y) = (y, x % y) }
    return x
}

/// `value − a − b − c`, clamped at `Int64.min` instead of overflowing.
@inlinable
public func saturatingSubtract(_ value: Int64, _ a: Int64, _ b: Int64, _ c: Int64) -> Int64 {
    var r = value
    for x in [a, b, c] {
        let (d, o) = r.subtractingReportingOverflow(x)
        if o { return .min }
        r = d
    }
    return r
}
