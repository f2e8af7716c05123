import WeirCore

/// Little-endian binary writing for wire messages.
public struct WireWriter {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

    /// A writer that appends to `bytes` (pass the only reference, and nothing is copied).
    public init(continuing bytes: [UInt8]) { self.bytes = bytes }

    /// The bytes written, moved out of the writer.
    public consuming func finish() -> [UInt8] { bytes }

    /// Empties the writer, keeping its storage for the next message.
    public mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

    /// Bytes the writer holds room for without growing.
    public var capacity: Int { bytes.capacity }

    /// Makes room for `n` more bytes at once.
    public mutating func reserve(_ n: Int) { bytes.reserveCapacity(bytes.count + n) }

    public mutating func u8(_ v: UInt8) { bytes.append(v) }
    public mutating func u16(_ v: UInt16) { bytes.appendLittleEndian(v) }
    public mutating func u32(_ v: UInt32) { bytes.appendLittleEndian(v) }
    public mutating func u64(_ v: UInt64) { bytes.appendLittleEndian(v) }
    public mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }
    public mutating func int(_ v: Int) { i64(Int64(v)) }
    public mutating func bool(_ v: Bool) { u8(v ? 1 : 0) }
    public mutating func f64(_ v: Double) { u64(v.bitPattern) }
    public mutating func decimal(_ d: Decimal9) {
        bytes.appendLittleEndian(UInt128(bitPattern: d.scaled))
    }

    /// An unsigned LEB128 varint: seven bits a byte, low bits first (1 byte below 128).
    public mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(truncatingIfNeeded: v))
    }

    /// A signed integer as a zigzag varint (small magnitudes of either sign are short).
    public mutating func zigzag(_ v: Int64) { varint(UInt64(bitPattern: (v << 1) ^ (v >> 63))) }

    /// A decimal, or its absence, in as few bytes as its value needs: a kind byte
    /// (`CompactDecimalKind`), then a zigzag varint of the integer value (whole numbers: most
    /// counts, sums and extremes), of the scaled value (anything else within 64 bits), or the
    /// 16 fixed bytes of `decimal(_:)`.
    public mutating func compactDecimal(_ d: Decimal9?) {
        guard let d else { return u8(CompactDecimalKind.absent.rawValue) }
        guard let scaled = Int64(exactly: d.scaled) else {
            u8(CompactDecimalKind.fixed.rawValue)
            return decimal(d)
        }
        let (whole, fraction) = scaled.quotientAndRemainder(dividingBy: 1_000_000_000)
        if fraction == 0 {
            u8(CompactDecimalKind.whole.rawValue)
            zigzag(whole)
        } else {
            u8(CompactDecimalKind.scaled.rawValue)
            zigzag(scaled)
        }
    }

    /// A length-prefixed (u32) byte string.
    public mutating func blob(_ b: [UInt8]) { u32(UInt32(b.count)); bytes += b }
    public mutating func blob(_ b: UnsafeRawBufferPointer) { u32(UInt32(b.count)); bytes.append(contentsOf: b) }
    public mutating func string(_ s: String) { blob(Array(s.utf8)) }
    public mutating func value(_ v: FieldValue) { ValueEncoding.append(v, to: &bytes) }

    /// Starts a u32-length-prefixed block whose length is not known yet; `endBlock` writes it.
    public mutating func beginBlock() -> Int {
        u32(0)
        return bytes.count
    }

    /// Writes the length of the block `beginBlock` started (everything written since).
    public mutating func endBlock(_ start: Int) {
        precondition(start >= 4 && start <= bytes.count, "endBlock needs the position beginBlock returned")
        let length = UInt32(bytes.count - start)
        for k in 0..<4 { bytes[start - 4 + k] = UInt8(truncatingIfNeeded: length >> (8 * UInt32(k))) }
    }
    public mutating func raw(_ b: [UInt8]) { bytes += b }
    public mutating func raw(_ b: ArraySlice<UInt8>) { bytes += b }
}

/// Why a wire message could not be decoded.
public struct WireError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Bounds-checked little-endian reading: every read past the end or of an absurd length throws.
public struct WireReader {
    let bytes: [UInt8]
    public private(set) var position: Int

    public init(_ bytes: [UInt8], from position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    public var isAtEnd: Bool { position == bytes.count }
    public var remaining: Int { bytes.count - position }

    mutating func take(_ n: Int, _ what: String) throws(WireError) -> ArraySlice<UInt8> {
        guard n >= 0, n <= remaining else { throw WireError("truncated \(what) at byte \(position) (need \(n), have \(remaining))") }
        defer { position += n }
        return bytes[position..<(position + n)]
    }

    public mutating func u8(_ what: String = "u8") throws(WireError) -> UInt8 { try take(1, what).first ?? 0 }
    public mutating func u16(_ what: String = "u16") throws(WireError) -> UInt16 { UInt16(littleEndian: try load(what)) }
    public mutating func u32(_ what: String = "u32") throws(WireError) -> UInt32 { UInt32(littleEndian: try load(what)) }
    public mutating func u64(_ what: String = "u64") throws(WireError) -> UInt64 { UInt64(littleEndian: try load(what)) }

    /// The next fixed-width integer, loaded directly (checkpoint decoding reads millions of them).
    private mutating func load<T: FixedWidthInteger>(_ what: String) throws(WireError) -> T {
        let n = MemoryLayout<T>.size
        guard n <= remaining else { throw WireError("truncated \(what) at byte \(position) (need \(n), have \(remaining))") }
        let value = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: position, as: T.self) }
        position += n
        return value
    }
    public mutating func i64(_ what: String = "i64") throws(WireError) -> Int64 { Int64(bitPattern: try u64(what)) }
    public mutating func int(_ what: String = "int") throws(WireError) -> Int { Int(try i64(what)) }
    public mutating func bool(_ what: String = "bool") throws(WireError) -> Bool {
        let b = try u8(what)
        guard b <= 1 else { throw WireError("\(what) at byte \(position - 1) is \(b), not a boolean") }
        return b == 1
    }
    public mutating func f64(_ what: String = "f64") throws(WireError) -> Double { Double(bitPattern: try u64(what)) }
    public mutating func decimal(_ what: String = "decimal") throws(WireError) -> Decimal9 {
        let lo = try u64(what), hi = try u64(what)
        return Decimal9(scaled: Int128(bitPattern: UInt128(hi) << 64 | UInt128(lo)))
    }
    /// An unsigned LEB128 varint (`WireWriter.varint`); more than 64 bits is refused.
    public mutating func varint(_ what: String = "varint") throws(WireError) -> UInt64 {
        let begin = position
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < bytes.count else { throw WireError("truncated \(what) at byte \(begin)") }
            let b = bytes[position]
            position += 1
            guard shift < 63 || b <= 1 else { throw WireError("\(what) at byte \(begin) exceeds 64 bits") }
            value |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return value }
            shift += 7
        }
    }

    /// A count of following items as a varint, bounded like `count(_:max:)`.
    public mutating func varintCount(_ what: String, max: Int = 1 << 24) throws(WireError) -> Int {
        let n = try varint(what)
        guard n <= UInt64(max) else { throw WireError("\(what) count \(n) exceeds \(max)") }
        return Int(n)
    }

    /// A zigzag varint (`WireWriter.zigzag`).
    public mutating func zigzag(_ what: String = "integer") throws(WireError) -> Int64 {
        let u = try varint(what)
        return Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
    }

    /// A decimal written by `WireWriter.compactDecimal`, nil when it was absent.
    public mutating func compactDecimal(_ what: String = "decimal") throws(WireError) -> Decimal9? {
        let raw = try u8(what)
        switch CompactDecimalKind(rawValue: raw) {
        case .absent: return nil
        case .whole: return Decimal9(scaled: Int128(try zigzag(what)) * Decimal9.scale)
        case .scaled: return Decimal9(scaled: Int128(try zigzag(what)))
        case .fixed: return try decimal(what)
        case nil: throw WireError("\(what) at byte \(position - 1) has an unknown kind \(raw)")
        }
    }

    /// Moves past one `FieldValue` encoding without decoding it.
    public mutating func skipValue(_ what: String = "value") throws(WireError) {
        var i = position
        guard ValueEncoding.skipOne(bytes[...], at: &i) else { throw WireError("bad \(what) encoding at byte \(position)") }
        position = i
    }
    /// The next `n` bytes, as they are.
    public mutating func raw(_ n: Int, _ what: String) throws(WireError) -> [UInt8] { Array(try take(n, what)) }
    public mutating func blob(_ what: String = "bytes") throws(WireError) -> [UInt8] {
        try raw(Int(try u32(what)), what)
    }
    public mutating func string(_ what: String = "string") throws(WireError) -> String {
        let b = try blob(what)
        guard let s = String(validating: b, as: UTF8.self) else { throw WireError("\(what) at byte \(position - b.count) is not UTF-8") }
        return s
    }
    public mutating func value(_ what: String = "value") throws(WireError) -> FieldValue {
        var i = position
        guard let v = ValueEncoding.decodeOne(bytes[...], at: &i) else { throw WireError("bad \(what) encoding at byte \(position)") }
        position = i
        return v
    }
    /// A count of following items, bounded so a corrupt count cannot make us allocate wildly.
    public mutating func count(_ what: String, max: Int = 1 << 24) throws(WireError) -> Int {
        let n = Int(try u32(what))
        guard n <= max else { throw WireError("\(what) count \(n) exceeds \(max)") }
        return n
    }
}

/// The first byte of a `WireWriter.compactDecimal`.
public enum CompactDecimalKind: UInt8, Sendable {
    case absent = 0
    /// An integer value: a zigzag varint of it.
    case whole = 1
    /// A value with a fraction whose scaled form fits 64 bits: a zigzag varint of that.
    case scaled = 2
    /// The 16 bytes of the scaled `Int128`.
    case fixed = 3
}
