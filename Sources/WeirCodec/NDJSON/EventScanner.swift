#if canImport(Glibc)
import Glibc
#endif
import WeirCore

/// A fast, strict byte-level scanner for one NDJSON event (a flat JSON object on one line).
///
/// It validates the whole line as JSON and fills one `ScannedField` per name of its `FieldPlan`,
/// making no `String`s: strings are byte ranges into the line (or into a scratch buffer when they
/// had escapes), numbers are parsed to `Decimal9` only for the fields the job reads. Nested
/// objects and arrays are skipped (validated) or, with `rejectNested`, rejected. Duplicate keys:
/// the last one wins, as in most JSON parsers.
public final class EventScanner {
    public let plan: FieldPlan
    public let rejectNested: Bool
    /// The scanned fields, in plan slot order; valid until the next `scan`.
    public var fields: UnsafeBufferPointer<ScannedField> { UnsafeBufferPointer(slots) }
    private let slots: UnsafeMutableBufferPointer<ScannedField>
    /// The plan's field names back to back, with their offsets (no array retains per key).
    private let names: UnsafeMutableRawBufferPointer
    private let nameStarts: UnsafeMutableBufferPointer<Int>
    private var scratch: UnsafeMutableRawBufferPointer
    private var scratchUsed = 0
    private var lastSlot = -1

    /// Deepest nesting skipped inside an event.
    public static let nestingMax = 64

    public init(plan: FieldPlan, rejectNested: Bool = false) {
        self.plan = plan
        self.rejectNested = rejectNested
        slots = UnsafeMutableBufferPointer.allocate(capacity: plan.names.count)
        slots.initialize(repeating: .missing)
        let total = plan.nameBytes.reduce(0) { $0 + $1.count }
        names = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, total), alignment: 1)
        nameStarts = UnsafeMutableBufferPointer.allocate(capacity: plan.names.count + 1)
        var offset = 0
        for (i, name) in plan.nameBytes.enumerated() {
            nameStarts[i] = offset
            for b in name { names[offset] = b; offset += 1 }
        }
        nameStarts[plan.names.count] = offset
        scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
    }

    deinit {
        scratch.deallocate()
        slots.deallocate()
        names.deallocate()
        nameStarts.deallocate()
    }

    /// Scans one line (without its newline). Returns nil on success, or why the line is bad.
    public func scan(_ line: UnsafeRawBufferPointer) -> ScanFailure? {
        for i in slots.indices { slots[i] = .missing }
        if line.count > scratch.count {
            scratch.deallocate()
            scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: line.count, alignment: 8)
        }
        scratchUsed = 0
        var cursor = ByteCursor(line)
        do {
            try scanObject(&cursor)
            return nil
        } catch {
            return error
        }
    }

    private func scanObject(_ c: inout ByteCursor) throws(ScanFailure) {
        c.skipWhitespace()
        guard let first = c.peek() else { throw ScanFailure(.invalidJSON, "empty line", at: c.index) }
        guard first == UInt8(ascii: "{") else {
            let looksLikeJSON = NonObjectJSON.looksLikeValue(c.bytes, at: c.index)
            throw ScanFailure(looksLikeJSON ? .notAnObject : .invalidJSON,
                              looksLikeJSON ? "the event is not a JSON object" : "expected '{'", at: c.index)
        }
        c.index += 1
        c.skipWhitespace()
        if c.peek() == UInt8(ascii: "}") {
            c.index += 1
        } else {
            while true {
                c.skipWhitespace()
                guard c.peek() == UInt8(ascii: "\"") else { throw ScanFailure(.invalidJSON, "expected a quoted key", at: c.index) }
                let slot = try scanKey(&c)
                c.skipWhitespace()
                guard c.peek() == UInt8(ascii: ":") else { throw ScanFailure(.invalidJSON, "expected ':' after key", at: c.index) }
                c.index += 1
                c.skipWhitespace()
                try scanValue(&c, slot: slot, depth: 0)
                c.skipWhitespace()
                guard let next = c.peek() else { throw ScanFailure(.invalidJSON, "unterminated object", at: c.index) }
                c.index += 1
                if next == UInt8(ascii: ",") { continue }
                if next == UInt8(ascii: "}") { break }
                throw ScanFailure(.invalidJSON, "expected ',' or '}'", at: c.index - 1)
            }
        }
        c.skipWhitespace()
        guard c.atEnd else { throw ScanFailure(.invalidJSON, "unexpected characters after the object", at: c.index) }
    }

    /// Scans a key and returns the plan slot it names, or -1.
    private func scanKey(_ c: inout ByteCursor) throws(ScanFailure) -> Int {
        let (bytes, _) = try scanString(&c, keep: true)
        let count = slots.count
        guard count > 0 else { return -1 }
        var candidate = lastSlot + 1
        for _ in 0..<count {
            if candidate >= count { candidate = 0 }
            let start = nameStarts[candidate]
            let length = nameStarts[candidate + 1] - start
            if length == bytes.count && sameBytes(start, bytes) {
                lastSlot = candidate
                return candidate
            }
            candidate += 1
        }
        return -1
    }

    /// Compares a field name with key bytes inline (keys are short: a libc call costs more).
    @inline(__always)
    private func sameBytes(_ nameStart: Int, _ key: UnsafeRawBufferPointer) -> Bool {
        for i in 0..<key.count where names[nameStart + i] != key[i] { return false }
        return true
    }

    private func scanValue(_ c: inout ByteCursor, slot: Int, depth: Int) throws(ScanFailure) {
        guard let b = c.peek() else { throw ScanFailure(.invalidJSON, "expected a value", at: c.index) }
        switch b {
        case UInt8(ascii: "\""):
            let (bytes, _) = try scanString(&c, keep: slot >= 0)
            if slot >= 0 { slots[slot] = ScannedField(kind: .string, bool: false, number: .zero, numberOutOfRange: false, bytes: bytes) }
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            if rejectNested {
                throw ScanFailure(.nestedValue, "nested objects and arrays are not accepted in this stream", at: c.index)
            }
            try skipNested(&c, depth: depth + 1)
            if slot >= 0 { slots[slot] = ScannedField(kind: .nested, bool: false, number: .zero, numberOutOfRange: false, bytes: UnsafeRawBufferPointer(start: nil, count: 0)) }
        case UInt8(ascii: "t"):
            try c.expectLiteral("true")
            if slot >= 0 { slots[slot] = ScannedField(kind: .bool, bool: true, number: .zero, numberOutOfRange: false, bytes: UnsafeRawBufferPointer(start: nil, count: 0)) }
        case UInt8(ascii: "f"):
            try c.expectLiteral("false")
            if slot >= 0 { slots[slot] = ScannedField(kind: .bool, bool: false, number: .zero, numberOutOfRange: false, bytes: UnsafeRawBufferPointer(start: nil, count: 0)) }
        case UInt8(ascii: "n"):
            try c.expectLiteral("null")
            if slot >= 0 { slots[slot] = ScannedField(kind: .null, bool: false, number: .zero, numberOutOfRange: false, bytes: UnsafeRawBufferPointer(start: nil, count: 0)) }
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let start = c.index
            while let d = c.peek(), ByteCursor.isNumberByte(d) { c.index += 1 }
            let token = UnsafeRawBufferPointer(rebasing: c.bytes[start..<c.index])
            switch Decimal9.parse(token) {
            case .success(let v):
                if slot >= 0 { slots[slot] = ScannedField(kind: .number, bool: false, number: v, numberOutOfRange: false, bytes: token) }
            case .failure(.range):
                if slot >= 0 { slots[slot] = ScannedField(kind: .number, bool: false, number: .zero, numberOutOfRange: true, bytes: token) }
            case .failure(.syntax):
                throw ScanFailure(.invalidJSON, "malformed number", at: start)
            }
        default:
            throw ScanFailure(.invalidJSON, "unexpected character", at: c.index)
        }
    }

    private func skipNested(_ c: inout ByteCursor, depth: Int) throws(ScanFailure) {
        guard depth <= EventScanner.nestingMax else {
            throw ScanFailure(.invalidJSON, "nested deeper than \(EventScanner.nestingMax) levels", at: c.index)
        }
        let isObject = c.peek() == UInt8(ascii: "{")
        let close = isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
        c.index += 1
        c.skipWhitespace()
        if c.peek() == close { c.index += 1; return }
        while true {
            c.skipWhitespace()
            if isObject {
                guard c.peek() == UInt8(ascii: "\"") else { throw ScanFailure(.invalidJSON, "expected a quoted key", at: c.index) }
                _ = try scanString(&c, keep: false)
                c.skipWhitespace()
                guard c.peek() == UInt8(ascii: ":") else { throw ScanFailure(.invalidJSON, "expected ':' after key", at: c.index) }
                c.index += 1
                c.skipWhitespace()
            }
            try scanValue(&c, slot: -1, depth: depth)
            c.skipWhitespace()
            guard let next = c.peek() else { throw ScanFailure(.invalidJSON, "unterminated \(isObject ? "object" : "array")", at: c.index) }
            c.index += 1
            if next == UInt8(ascii: ",") { continue }
            if next == close { return }
            throw ScanFailure(.invalidJSON, "expected ',' or '\(Character(UnicodeScalar(close)))'", at: c.index - 1)
        }
    }

    /// The high bit set in every byte of `word` (read little-endian) that a string scan must
    /// look at: a quote, a backslash, a control character or a non-ASCII byte. Exact for the
    /// lowest such byte, which is all the scan uses (a borrow can only mark bytes above it).
    @inline(__always)
    static func specialBytes(_ word: UInt64) -> UInt64 {
        let x = UInt64(littleEndian: word)
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        let quote = x ^ (ones &* 0x22), backslash = x ^ (ones &* 0x5C)
        let zeroQuote = (quote &- ones) & ~quote
        let zeroBackslash = (backslash &- ones) & ~backslash
        let control = (x &- ones &* 0x20) & ~x
        return (zeroQuote | zeroBackslash | control | x) & highs
    }

    /// Scans a string starting at its opening quote. Returns its unescaped bytes when `keep`.
    private func scanString(_ c: inout ByteCursor, keep: Bool) throws(ScanFailure) -> (UnsafeRawBufferPointer, Bool) {
        let open = c.index
        c.index += 1
        let start = c.index
        let bytes = c.bytes
        let n = bytes.count
        var i = start
        var escaped = false
        while true {
            // Eight plain bytes at a time; the byte-wise checks below see only the first byte
            // that needs them (every string ends in one: its closing quote).
            if i + 8 <= n {
                let special = Self.specialBytes(bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                if special == 0 { i += 8; continue }
                i += special.trailingZeroBitCount >> 3
            }
            guard i < n else { throw ScanFailure(.invalidJSON, "unterminated string", at: open) }
            let b = bytes[i]
            if b == UInt8(ascii: "\"") { break }
            if b == UInt8(ascii: "\\") {
                escaped = true
                guard i + 1 < n else { throw ScanFailure(.invalidJSON, "unterminated string", at: open) }
                i += (bytes[i + 1] == UInt8(ascii: "u")) ? 6 : 2
                continue
            }
            if b < 0x20 { throw ScanFailure(.invalidJSON, "control character in string", at: i) }
            if b >= 0x80 {
                guard let width = UTF8Check.sequenceLength(bytes, at: i) else {
                    throw ScanFailure(.invalidUTF8, "invalid UTF-8 in string", at: i)
                }
                i += width
                continue
            }
            i += 1
        }
        c.index = i + 1
        let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<i])
        guard escaped else { return (raw, false) }
        // Unescape into scratch (validates every escape even when the value is not kept).
        let outStart = scratchUsed
        var out = outStart
        var j = start
        while j < i {
            let b = bytes[j]
            if b != UInt8(ascii: "\\") { scratch[out] = b; out += 1; j += 1; continue }
            let e = bytes[j + 1]
            j += 2
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch[out] = e; out += 1
            case UInt8(ascii: "b"): scratch[out] = 8; out += 1
            case UInt8(ascii: "f"): scratch[out] = 12; out += 1
            case UInt8(ascii: "n"): scratch[out] = 10; out += 1
            case UInt8(ascii: "r"): scratch[out] = 13; out += 1
            case UInt8(ascii: "t"): scratch[out] = 9; out += 1
            case UInt8(ascii: "u"):
                guard j + 4 <= i, var scalar = UTF8Check.hex4(bytes, at: j) else {
                    throw ScanFailure(.invalidJSON, "malformed \\u escape", at: j - 2)
                }
                j += 4
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    guard j + 6 <= i, bytes[j] == UInt8(ascii: "\\"), bytes[j + 1] == UInt8(ascii: "u"),
                          let low = UTF8Check.hex4(bytes, at: j + 2), low >= 0xDC00, low < 0xE000
                    else { throw ScanFailure(.invalidJSON, "unpaired surrogate in \\u escape", at: j - 6) }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    j += 6
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    throw ScanFailure(.invalidJSON, "unpaired surrogate in \\u escape", at: j - 6)
                }
                out += UTF8Check.encode(scalar, into: scratch, at: out)
            default:
                throw ScanFailure(.invalidJSON, "invalid escape \\\(Character(UnicodeScalar(e)))", at: j - 2)
            }
        }
        guard keep else { return (raw, true) }
        scratchUsed = out
        return (UnsafeRawBufferPointer(rebasing: scratch[outStart..<out]), true)
    }
}

/// Why a line is not a valid event, with the byte column (0-based) in the line.
public struct ScanFailure: Error, Sendable, Equatable {
    public var reason: BadEventReason
    public var message: String
    public var column: Int
    public init(_ reason: BadEventReason, _ message: String, at column: Int) {
        self.reason = reason
        self.message = message
        self.column = column
    }
}

/// Tells a JSON value that is not an object (`[1]`, `"x"`, `42`, `null`) from text that is not
/// JSON at all, to choose between `not_an_object` and `invalid_json`.
public enum NonObjectJSON {
    public static func looksLikeValue(_ bytes: UnsafeRawBufferPointer, at index: Int) -> Bool {
        let first = bytes[index]
        if "[\"-0123456789".utf8.contains(first) { return true }
        var end = bytes.count
        while end > index, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
        let word = Array(bytes[index..<end])
        return word == Array("true".utf8) || word == Array("false".utf8) || word == Array("null".utf8)
    }
}
