/// An exact fixed-point number with nine fractional digits, stored as a scaled `Int128`.
///
/// Every number Weir aggregates is converted to `Decimal9` once, when it is read. Sums, minima,
/// maxima and averages are then integer arithmetic, so merging partial results in any order gives
/// bit-identical answers (floating-point sums do not). Numbers with more than nine fractional
/// digits are rounded half-to-even at the ninth; magnitudes beyond ±1.7e29 are out of range.
public struct Decimal9: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The value times 10^9.
    public var scaled: Int128

    /// 10^9, the fixed-point scale.
    public static let scale: Int128 = 1_000_000_000
    public static let zero = Decimal9(scaled: 0)

    @inlinable public init(scaled: Int128) { self.scaled = scaled }
    @inlinable public init(integer: Int64) { self.scaled = Int128(integer) * Decimal9.scale }

    @inlinable public static func < (lhs: Decimal9, rhs: Decimal9) -> Bool { lhs.scaled < rhs.scaled }

    /// The nearest `Double` (used only for sketches, never for exact aggregates).
    public var doubleValue: Double {
        let whole = scaled / Decimal9.scale
        let frac = Int64(truncatingIfNeeded: scaled % Decimal9.scale)
        // Int64 → Double is a single instruction; Int128 → Double goes through generic code.
        if let small = Int64(exactly: whole) { return Double(small) + Double(frac) / 1e9 }
        return Double(whole) + Double(frac) / 1e9
    }

    /// The integer part rounded toward negative infinity.
    public var floorInteger: Int128 {
        let q = scaled / Decimal9.scale
        return (scaled % Decimal9.scale < 0) ? q - 1 : q
    }

    /// Adds, returning nil on overflow.
    @inlinable public func adding(_ other: Decimal9) -> Decimal9? {
        let (r, o) = scaled.addingReportingOverflow(other.scaled)
        return o ? nil : Decimal9(scaled: r)
    }

    /// `self / count`, rounded half-to-even at the ninth fractional digit.
    public func divided(by count: Int64) -> Decimal9 {
        precondition(count > 0, "Decimal9.divided(by:) needs a positive count")
        return Decimal9(scaled: Decimal9.roundedQuotient(scaled, Int128(count)))
    }

    /// Integer division rounded half-to-even (divisor > 0).
    @usableFromInline static func roundedQuotient(_ n: Int128, _ d: Int128) -> Int128 {
        var q = n / d
        let r = n % d
        if r == 0 { return q }
        let twice = (r < 0 ? -r : r) * 2
        let up = twice > d || (twice == d && q % 2 != 0)
        if up { q += (n < 0) ? -1 : 1 }
        return q
    }

    /// Appends the canonical text as UTF-8 without making a `String` (the output hot path).
    public func appendText(to out: inout [UInt8]) {
        let negative = scaled < 0
        let magnitude = negative ? UInt128(-(scaled + 1)) + 1 : UInt128(scaled)
        if negative { out.append(UInt8(ascii: "-")) }
        var whole = magnitude / 1_000_000_000
        var frac = UInt64(magnitude % 1_000_000_000)
        // Integer part, most significant digit first.
        var digits: [UInt8] = []
        repeat {
            digits.append(UInt8(48 + whole % 10))
            whole /= 10
        } while whole > 0
        out.append(contentsOf: digits.reversed())
        guard frac != 0 else { return }
        out.append(UInt8(ascii: "."))
        var width = 9
        while frac % 10 == 0 { frac /= 10; width -= 1 }
        var divisor: UInt64 = 1
        for _ in 1..<width { divisor *= 10 }
        while divisor > 0 {
            out.append(UInt8(48 + (frac / divisor) % 10))
            divisor /= 10
        }
    }

    /// Canonical text: integer digits, then `.` and the fraction without trailing zeros.
    public var description: String {
        let negative = scaled < 0
        let magnitude = negative ? UInt128(-(scaled + 1)) + 1 : UInt128(scaled)
        let whole = magnitude / 1_000_000_000
        var frac = magnitude % 1_000_000_000
        var text = negative ? "-" : ""
        text += String(whole)
        if frac != 0 {
            var digits = 9
            while frac % 10 == 0 { frac /= 10; digits -= 1 }
            let fracText = String(frac)
            text += "." + String(repeating: "0", count: digits - fracText.count) + fracText
        }
        return text
    }
}

extension Decimal9 {
    /// Parses a JSON number token (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`).
    ///
    /// Returns `.failure(.syntax)` when the bytes are not a JSON number and `.failure(.range)`
    /// when the value cannot be represented.
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> Result<Decimal9, NumberError> {
        if let fast = parsePlainInteger(bytes) { return .success(fast) }
        var i = 0
        let n = bytes.count
        var negative = false
        if i < n && bytes[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        guard i < n, isDigit(bytes[i]) else { return .failure(.syntax) }
        if bytes[i] == UInt8(ascii: "0") && i + 1 < n && isDigit(bytes[i + 1]) { return .failure(.syntax) }
        var mantissa: Int128 = 0
        var significant = 0
        var exponent = 0
        var droppedNonZero = false
        // Integer digits.
        while i < n && isDigit(bytes[i]) {
            if significant < 36 {
                mantissa = mantissa * 10 + Int128(bytes[i] &- 48)
                if mantissa != 0 { significant += 1 }
            } else {
                exponent += 1
                if bytes[i] != UInt8(ascii: "0") { droppedNonZero = true }
            }
            i += 1
        }
        if i < n && bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard i < n, isDigit(bytes[i]) else { return .failure(.syntax) }
            while i < n && isDigit(bytes[i]) {
                if significant < 36 {
                    mantissa = mantissa * 10 + Int128(bytes[i] &- 48)
                    if mantissa != 0 { significant += 1 }
                    exponent -= 1
                } else if bytes[i] != UInt8(ascii: "0") {
                    droppedNonZero = true
                }
                i += 1
            }
        }
        if i < n && (bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E")) {
            i += 1
            var expNegative = false
            if i < n && (bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-")) {
                expNegative = bytes[i] == UInt8(ascii: "-"); i += 1
            }
            guard i < n, isDigit(bytes[i]) else { return .failure(.syntax) }
            var e = 0
            while i < n && isDigit(bytes[i]) {
                if e < 100_000 { e = e * 10 + Int(bytes[i] &- 48) }
                i += 1
            }
            exponent += expNegative ? -e : e
        }
        guard i == n else { return .failure(.syntax) }
        if mantissa == 0 { return .success(.zero) }
        // value = mantissa * 10^exponent; scaled = mantissa * 10^(exponent + 9)
        let shift = exponent + 9
        var scaled: Int128
        if shift >= 0 {
            guard shift <= 38 else { return .failure(.range) }
            scaled = mantissa
            for _ in 0..<shift {
                let (r, o) = scaled.multipliedReportingOverflow(by: 10)
                if o { return .failure(.range) }
                scaled = r
            }
            if droppedNonZero { return .failure(.range) }
        } else {
            let down = -shift
            if down > 38 { return .success(.zero) }
            var divisor: Int128 = 1
            for _ in 0..<down { divisor *= 10 }
            scaled = roundedQuotient(mantissa, divisor)
        }
        return .success(Decimal9(scaled: negative ? -scaled : scaled))
    }

    /// Fast path: an optional minus and 1…18 digits without a leading zero (most event fields).
    @inline(__always)
    static func parsePlainInteger(_ bytes: UnsafeRawBufferPointer) -> Decimal9? {
        let n = bytes.count
        guard n > 0, n <= 19 else { return nil }
        var i = 0
        let negative = bytes[0] == UInt8(ascii: "-")
        if negative { i = 1 }
        let digits = n - i
        guard digits >= 1, digits <= 18 else { return nil }
        if bytes[i] == UInt8(ascii: "0") && digits > 1 { return nil }
        var v: Int64 = 0
        while i < n {
            let d = bytes[i] &- 48
            guard d < 10 else { return nil }
            v = v &* 10 &+ Int64(d)
            i += 1
        }
        return Decimal9(scaled: Int128(negative ? -v : v) * scale)
    }

    /// Parses a number from text (see `parse(_:)` for bytes).
    public static func parse(_ text: String) -> Result<Decimal9, NumberError> {
        var copy = text
        return copy.withUTF8 { parse(UnsafeRawBufferPointer($0)) }
    }

    @inlinable static func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }
}

/// Why a number token could not become a `Decimal9`.
public enum NumberError: Error, Sendable, Equatable {
    /// Not a JSON number.
    case syntax
    /// A JSON number Weir cannot represent exactly (over about 1.7e29, or too many digits).
    case range
}
