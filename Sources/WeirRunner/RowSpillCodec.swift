import WeirCore

/// The binary form of rollup rows in spill files (temporary, read back by the same process).
///
/// ```
/// record := length u32 | start i64 | end i64 | final u8 | groups u16 | group values… | cells u16 | cells…
/// value  := ValueEncoding
/// cell   := 0 null | 1 i64 integer | 2 i128 decimal | 3 u64 double bits | 4 value | 5 u32 length + UTF-8 text
/// ```
/// All integers little-endian.
enum RowSpillCodec {
    static func append(_ row: RollupRow, to out: inout [UInt8]) {
        let lengthAt = out.count
        out += [0, 0, 0, 0]
        appendLE(UInt64(bitPattern: row.window.start), &out)
        appendLE(UInt64(bitPattern: row.window.end), &out)
        out.append(row.isFinal ? 1 : 0)
        appendLE(UInt16(row.group.count), &out)
        for v in row.group { ValueEncoding.append(v, to: &out) }
        appendLE(UInt16(row.cells.count), &out)
        for cell in row.cells {
            switch cell {
            case .null: out.append(0)
            case .integer(let i): out.append(1); appendLE(UInt64(bitPattern: i), &out)
            case .decimal(let d):
                out.append(2)
                let bits = UInt128(bitPattern: d.scaled)
                appendLE(UInt64(truncatingIfNeeded: bits), &out)
                appendLE(UInt64(truncatingIfNeeded: bits >> 64), &out)
            case .double(let d): out.append(3); appendLE(d.bitPattern, &out)
            case .value(let v): out.append(4); ValueEncoding.append(v, to: &out)
            case .text(let s):
                out.append(5)
                appendLE(UInt32(s.utf8.count), &out)
                out += s.utf8
            }
        }
        let length = UInt32(out.count - lengthAt - 4)
        for k in 0..<4 { out[lengthAt + k] = UInt8(truncatingIfNeeded: length >> (8 * UInt32(k))) }
    }

    /// Decodes one record body (without its length prefix).
    static func decode(_ b: ArraySlice<UInt8>) -> RollupRow? {
        var i = b.startIndex
        func u64() -> UInt64? {
            guard i + 8 <= b.endIndex else { return nil }
            var v: UInt64 = 0
            for k in (0..<8).reversed() { v = v << 8 | UInt64(b[i + k]) }
            i += 8
            return v
        }
        func u16() -> Int? {
            guard i + 2 <= b.endIndex else { return nil }
            defer { i += 2 }
            return Int(b[i]) | Int(b[i + 1]) << 8
        }
        guard let start = u64(), let end = u64(), i < b.endIndex else { return nil }
        let isFinal = b[i] != 0
        i += 1
        guard let groupCount = u16() else { return nil }
        var group: [FieldValue] = []
        for _ in 0..<groupCount {
            guard let v = ValueEncoding.decodeOne(b, at: &i) else { return nil }
            group.append(v)
        }
        guard let cellCount = u16() else { return nil }
        var cells: [Cell] = []
        for _ in 0..<cellCount {
            guard i < b.endIndex else { return nil }
            let tag = b[i]
            i += 1
            switch tag {
            case 0: cells.append(.null)
            case 1: guard let v = u64() else { return nil }; cells.append(.integer(Int64(bitPattern: v)))
            case 2:
                guard let lo = u64(), let hi = u64() else { return nil }
                cells.append(.decimal(Decimal9(scaled: Int128(bitPattern: UInt128(hi) << 64 | UInt128(lo)))))
            case 3: guard let v = u64() else { return nil }; cells.append(.double(Double(bitPattern: v)))
            case 4: guard let v = ValueEncoding.decodeOne(b, at: &i) else { return nil }; cells.append(.value(v))
            case 5:
                guard i + 4 <= b.endIndex else { return nil }
                let n = Int(b[i]) | Int(b[i + 1]) << 8 | Int(b[i + 2]) << 16 | Int(b[i + 3]) << 24
                i += 4
                guard i + n <= b.endIndex else { return nil }
                cells.append(.text(String(decoding: b[i..<(i + n)], as: UTF8.self)))
                i += n
            default: return nil
            }
        }
        guard i == b.endIndex else { return nil }
        return RollupRow(window: Window(start: Int64(bitPattern: start), end: Int64(bitPattern: end)),
                         group: group, cells: cells, isFinal: isFinal)
    }

    private static func appendLE<T: FixedWidthInteger>(_ v: T, _ out: inout [UInt8]) {
        var x = v.littleEndian
        withUnsafeBytes(of: &x) { out.append(contentsOf: $0) }
    }
}
