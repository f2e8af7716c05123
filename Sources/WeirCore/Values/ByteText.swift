#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Small byte-level helpers shared by the hot paths that avoid `String`.
public enum ByteText {
    /// Appends the decimal digits of `v` (with a leading `-` when negative).
    @inline(__always)
    public static func appendInt(_ v: Int64, to out: inout [UInt8]) {
        if v < 0 { out.append(UInt8(ascii: "-")) }
        let x = v.magnitude
        var divisor: UInt64 = 1
        while divisor <= x / 10 { divisor *= 10 }
        while divisor > 0 {
            out.append(UInt8(48 + (x / divisor) % 10))
            divisor /= 10
        }
    }

    /// Byte-wise order (`memcmp`, then the shorter first).
    public static func precedes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        let n = Swift.min(a.count, b.count)
        if n > 0, let x = a.baseAddress, let y = b.baseAddress {
            let c = memcmp(x, y, n)
            if c != 0 { return c < 0 }
        }
        return a.count < b.count
    }
}
