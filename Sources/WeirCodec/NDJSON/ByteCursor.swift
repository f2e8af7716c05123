import WeirCore

/// A read position in a line of bytes.
struct ByteCursor {
    let bytes: UnsafeRawBufferPointer
    var index = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var atEnd: Bool { index >= bytes.count }

    @inline(__always) func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    @inline(__always) mutating func skipWhitespace() {
        while index < bytes.count {
            let b = bytes[index]
            guard b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A else { return }
            index += 1
        }
    }

    mutating func expectLiteral(_ literal: StaticString) throws(ScanFailure) {
        let n = literal.utf8CodeUnitCount
        guard index + n <= bytes.count else { throw ScanFailure(.invalidJSON, "unexpected end of line", at: index) }
        let p = literal.utf8Start
        for k in 0..<n where bytes[index + k] != p[k] {
            throw ScanFailure(.invalidJSON, "unexpected character", at: index + k)
        }
        index += n
    }

    @inline(__always) static func isNumberByte(_ b: UInt8) -> Bool {
        (b >= 48 && b <= 57) || b == UInt8(ascii: "-") || b == UInt8(ascii: "+") || b == UInt8(ascii: ".")
            || b == UInt8(ascii: "e") || b == UInt8(ascii: "E")
    }

    @inline(__always) static func equal(_ a: UnsafeRawBufferPointer, _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        for i in 0..<a.count where a[i] != b[i] { return false }
        return true
    }
}

/// UTF-8 validation and encoding helpers.
enum UTF8Check {
    /// Length of the valid UTF-8 sequence starting at `i` (first byte ≥ 0x80), or nil.
    static func sequenceLength(_ b: UnsafeRawBufferPointer, at i: Int) -> Int? {
        let b0 = b[i]
        let n = b.count
        func cont(_ k: Int) -> Bool { i + k < n && b[i + k] & 0xC0 == 0x80 }
        switch b0 {
        case 0xC2...0xDF: return cont(1) ? 2 : nil
        case 0xE0: return cont(1) && b[i + 1] >= 0xA0 && cont(2) ? 3 : nil
        case 0xED: return cont(1) && b[i + 1] < 0xA0 && cont(2) ? 3 : nil
        case 0xE1...0xEC, 0xEE...0xEF: return cont(1) && cont(2) ? 3 : nil
        case 0xF0: return cont(1) && b[i + 1] >= 0x90 && cont(2) && cont(3) ? 4 : nil
        case 0xF1...0xF3: return cont(1) && cont(2) && cont(3) ? 4 : nil
        case 0xF4: return cont(1) && b[i + 1] < 0x90 && cont(2) && cont(3) ? 4 : nil
        default: return nil
        }
    }

    static func hex4(_ b: UnsafeRawBufferPointer, at i: Int) -> UInt32? {
        guard i + 4 <= b.count else { return nil }
        var v: UInt32 = 0
        for k in 0..<4 {
            let c = b[i + k]
            let d: UInt32
            switch c {
            case 48...57: d = UInt32(c - 48)
            case 65...70: d = UInt32(c - 55)
            case 97...102: d = UInt32(c - 87)
            default: return nil
            }
            v = v << 4 | d
        }
        return v
    }

    /// Writes `scalar` as UTF-8 at `at`; returns the byte count.
    static func encode(_ scalar: UInt32, into out: UnsafeMutableRawBufferPointer, at: Int) -> Int {
        switch scalar {
        case 0..<0x80:
            out[at] = UInt8(scalar); return 1
        case 0x80..<0x800:
            out[at] = UInt8(0xC0 | (scalar >> 6)); out[at + 1] = UInt8(0x80 | (scalar & 0x3F)); return 2
        case 0x800..<0x10000:
            out[at] = UInt8(0xE0 | (scalar >> 12)); out[at + 1] = UInt8(0x80 | ((scalar >> 6) & 0x3F))
            out[at + 2] = UInt8(0x80 | (scalar & 0x3F)); return 3
        default:
            out[at] = UInt8(0xF0 | (scalar >> 18)); out[at + 1] = UInt8(0x80 | ((scalar >> 12) & 0x3F))
            out[at + 2] = UInt8(0x80 | ((scalar >> 6) & 0x3F)); out[at + 3] = UInt8(0x80 | (scalar & 0x3F)); return 4
        }
    }
}
