/// The byte encoding of `FieldValue`s used for interning, hashing and sketches.
///
/// ```
/// null    : 0x00
/// bool    : 0x01, then 0x00 | 0x01
/// number  : 0x02, then the 16-byte little-endian scaled Int128 of its Decimal9
/// string  : 0x03, then a 4-byte little-endian length, then the UTF-8 bytes (unescaped)
/// ```
/// A group key is the concatenation of one encoded value per group field. The encoding is
/// injective, so equal bytes mean equal values, and it is stable: sketches hash it.
public enum ValueEncoding {
    public static let nullTag: UInt8 = 0
    public static let boolTag: UInt8 = 1
    public static let numberTag: UInt8 = 2
    public static let stringTag: UInt8 = 3

    /// Appends the encoding of `value` to `out`.
    public static func append(_ value: FieldValue, to out: inout [UInt8]) {
        switch value {
        case .null: out.append(nullTag)
        case .bool(let b): appendBool(b, to: &out)
        case .number(let d): appendNumber(d, to: &out)
        case .string(let s): appendString(UnsafeRawBufferPointer?.none, text: s, to: &out)
        }
    }

    @inlinable
    public static func appendBool(_ b: Bool, to out: inout [UInt8]) {
        out.append(boolTag); out.append(b ? 1 : 0)
    }

    @inlinable
    public static func appendNumber(_ d: Decimal9, to out: inout [UInt8]) {
        out.append(numberTag)
        out.appendLittleEndian(UInt128(bitPattern: d.scaled))
    }

    /// Appends a string given either as raw UTF-8 bytes or as a `String`.
    public static func appendString(_ bytes: UnsafeRawBufferPointer?, text: String = "", to out: inout [UInt8]) {
        out.append(stringTag)
        if let bytes {
            appendLength(bytes.count, to: &out)
            out.append(contentsOf: bytes)
        } else {
            appendLength(text.utf8.count, to: &out)
            out.append(contentsOf: text.utf8)
        }
    }

    @inlinable
    static func appendLength(_ count: Int, to out: inout [UInt8]) {
        out.appendLittleEndian(UInt32(truncatingIfNeeded: count))
    }

    /// Decodes `count` values written by `append`; nil when the bytes are not such an encoding.
    public static func decode(_ bytes: ArraySlice<UInt8>, count: Int) -> [FieldValue]? {
        var values: [FieldValue] = []
        values.reserveCapacity(count)
        var i = bytes.startIndex
        for _ in 0..<count {
            guard let v = decodeOne(bytes, at: &i) else { return nil }
            values.append(v)
        }
        return i == bytes.endIndex ? values : nil
    }

    /// Decodes the value at `i` and moves `i` past it; nil when the bytes are malformed.
    public static func decodeOne(_ bytes: ArraySlice<UInt8>, at i: inout Int) -> FieldValue? {
        guard i < bytes.endIndex else { return nil }
        let tag = bytes[i]
        i += 1
        switch tag {
        case nullTag: return .null
        case boolTag:
            guard i < bytes.endIndex else { return nil }
            defer { i += 1 }
            return .bool(bytes[i] != 0)
        case numberTag:
            guard i + 16 <= bytes.endIndex else { return nil }
            var bits: UInt128 = 0
            for k in (0..<16).reversed() { bits = (bits << 8) | UInt128(bytes[i + k]) }
            i += 16
            return .number(Decimal9(scaled: Int128(bitPattern: bits)))
        case stringTag:
            guard i + 4 <= bytes.endIndex else { return nil }
            let n = Int(bytes[i]) | Int(bytes[i + 1]) << 8 | Int(bytes[i + 2]) << 16 | Int(bytes[i + 3]) << 24
            i += 4
            guard i + n <= bytes.endIndex else { return nil }
            defer { i += n }
            return .string(String(decoding: bytes[i..<(i + n)], as: UTF8.self))
        default:
            return nil
        }
    }

    /// Moves `i` past the value encoded at `i` without decoding it; false when the bytes there
    /// are not a value's encoding (the same structure `decodeOne` accepts).
    public static func skipOne(_ bytes: ArraySlice<UInt8>, at i: inout Int) -> Bool {
        guard i < bytes.endIndex else { return false }
        let tag = bytes[i]
        i += 1
        let length: Int
        switch tag {
        case nullTag: length = 0
        case boolTag: length = 1
        case numberTag: length = 16
        case stringTag:
            guard i + 4 <= bytes.endIndex else { return false }
            length = Int(bytes[i]) | Int(bytes[i + 1]) << 8 | Int(bytes[i + 2]) << 16 | Int(bytes[i + 3]) << 24
            i += 4
        default: return false
        }
        guard length <= bytes.endIndex - i else { return false }
        i += length
        return true
    }

    /// The encoding of one value as a fresh array.
    public static func encode(_ value: FieldValue) -> [UInt8] {
        var out: [UInt8] = []
        append(value, to: &out)
        return out
    }
}

extension ValueEncoding {
    /// Appends an order-preserving key of `value`: comparing two keys with `memcmp` (shorter
    /// prefix first) gives `FieldValue`'s canonical order. Strings escape 0x00 as 0x00 0xFF and
    /// end with 0x00 0x00; numbers are big-endian with the sign bit flipped.
    public static func appendSortKey(_ value: FieldValue, to out: inout [UInt8]) {
        switch value {
        case .null: out.append(nullTag)
        case .bool(let b): out.append(boolTag); out.append(b ? 1 : 0)
        case .number(let d):
            out.append(numberTag)
            let bits = UInt128(bitPattern: d.scaled) ^ (UInt128(1) << 127)
            out.appendLittleEndian(bits.byteSwapped)  // big-endian bytes on any host
        case .string(let s):
            out.append(stringTag)
            for b in s.utf8 {
                out.append(b)
                if b == 0 { out.append(0xFF) }
            }
            out.append(0); out.append(0)
        }
    }

    /// The sort key of a tuple of values.
    public static func sortKey(_ values: [FieldValue]) -> [UInt8] {
        var out: [UInt8] = []
        for v in values { appendSortKey(v, to: &out) }
        return out
    }

    /// `memcmp` order of two sort keys.
    public static func sortKeyPrecedes(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in ByteText.precedes(pa, pb) } }
    }
}
