import Testing
@testable import WeirCodec
import WeirCore

/// The compact row layout (wire protocol 4, checkpoint version 4): varints and compact decimals
/// round-trip at their edges and refuse malformed bytes; rows of the older fixed layout in a
/// version 3 checkpoint still open, rewritten compact.
@Suite struct CompactRowTests {
    @Test func varintsAndZigzagsRoundTripAtTheirEdges() throws {
        let unsigned: [UInt64] = [0, 1, 127, 128, 300, 16_383, 16_384, UInt64(UInt32.max), UInt64.max - 1, UInt64.max]
        let signed: [Int64] = [0, 1, -1, 63, -64, 64, -65, 1_767_225_600_000, -1_767_225_600_000, .max, .min, .max - 1, .min + 1]
        var w = WireWriter()
        for v in unsigned { w.varint(v) }
        for v in signed { w.zigzag(v) }
        var r = WireReader(w.bytes)
        for v in unsigned { #expect(try r.varint() == v) }
        for v in signed { #expect(try r.zigzag() == v) }
        #expect(r.isAtEnd)
        // Sizes: one byte below 128, ten for the widest.
        var one = WireWriter(); one.varint(127)
        var ten = WireWriter(); ten.varint(.max)
        var small = WireWriter(); small.zigzag(-64)
        #expect(one.bytes.count == 1 && ten.bytes.count == 10 && small.bytes.count == 1)
    }

    @Test func compactDecimalsRoundTripInEveryKind() throws {
        let values: [Decimal9?] = [
            nil, .zero, Decimal9(integer: 1), Decimal9(integer: -1), Decimal9(integer: 5_000), Decimal9(integer: .max), Decimal9(integer: .min),
            Decimal9(scaled: 1), Decimal9(scaled: -1), Decimal9(scaled: 1_500_000_000), Decimal9(scaled: Int128(Int64.max)),
            Decimal9(scaled: Int128(Int64.min)), Decimal9(scaled: Int128(Int64.max) + 1), Decimal9(scaled: Int128(Int64.min) - 1),
            Decimal9(scaled: .max), Decimal9(scaled: .min),
        ]
        var w = WireWriter()
        for v in values { w.compactDecimal(v) }
        var r = WireReader(w.bytes)
        for v in values { #expect(try r.compactDecimal() == v, "\(String(describing: v))") }
        #expect(r.isAtEnd)
        var whole = WireWriter(); whole.compactDecimal(Decimal9(integer: 100))
        #expect(whole.bytes == [CompactDecimalKind.whole.rawValue, 0xC8, 0x01])  // kind, zigzag(100) = 200 as a varint
    }

    @Test func malformedCompactNumbersAreRefusedSayingWhere() {
        let cases: [(String, [UInt8], (inout WireReader) throws(WireError) -> Void)] = [
            ("a varint cut short", [0x80, 0x80], { r throws(WireError) in _ = try r.varint() }),
            ("eleven bytes", [UInt8](repeating: 0xFF, count: 10) + [0x01], { r throws(WireError) in _ = try r.varint() }),
            ("a tenth byte above 1", [UInt8](repeating: 0xFF, count: 9) + [0x02], { r throws(WireError) in _ = try r.varint() }),
            ("an unknown decimal kind", [7, 0], { r throws(WireError) in _ = try r.compactDecimal() }),
            ("a fixed decimal cut short", [CompactDecimalKind.fixed.rawValue, 1, 2, 3], { r throws(WireError) in _ = try r.compactDecimal() }),
        ]
        for (what, bytes, read) in cases {
            var r = WireReader(bytes)
            #expect(throws: WireError.self, "\(what)") { try read(&r) }
        }
        var r = WireReader([0xFF, 0xFF, 0xFF])
        let error = #expect(throws: WireError.self) { _ = try r.varint("window span") }
        #expect(error?.message == "truncated window span at byte 0")
    }

    /// A `clicks-per-page` row: the size the layout is for, and every state kind round-trips.
    @Test func rowsOfEveryStateKindRoundTripAndAClicksRowIsSmall() throws {
        let window = Window(start: 1_767_225_600_000, end: 1_767_225_610_000)
        let clicks = PartialRow(window: window, group: [.string("p150")],
                                states: [.count(412), .sum(Decimal9(integer: 9_876_543), values: 412), .minimum(Decimal9(integer: 3)),
                                         .maximum(Decimal9(integer: 4_980)), .average(Decimal9(integer: 51_234), values: 412)],
                                isFinal: true)
        var w = WireWriter()
        PartialRowCodec.append(clicks, to: &w)
        #expect(w.bytes.count <= 45, "\(w.bytes.count) bytes")
        #expect(Self.fixedLayout(clicks).count == 125)  // the same row in the fixed layout
        let every = PartialRow(window: Window(start: -5, end: .max), group: [.null, .number(Decimal9(integer: -3)), .string("x")],
                               states: Self.everyKind, isFinal: false)
        PartialRowCodec.append(every, to: &w)
        var r = WireReader(w.bytes)
        #expect(try PartialRowCodec.decodeRow(&r) == clicks)
        #expect(try PartialRowCodec.decodeRow(&r) == every)
        #expect(r.isAtEnd)
    }

    /// Rows as checkpoint version 3 wrote them (fixed layout) in a blob labeled 3 open with the
    /// same rows, kept compact: what a worker reads from a store an older build wrote.
    @Test func finalRowsOfAVersionThreeCheckpointOpenRewrittenCompact() throws {
        func row(_ i: Int) -> PartialRow {
            let n = Int64(i)
            let states: [PortableAggregate] = i == 7 ? Self.everyKind : [
                .count(n), .sum(Decimal9(scaled: Int128(i) * 1_234_567), values: n),
                .minimum(i % 2 == 0 ? nil : Decimal9(integer: -n)), .maximum(Decimal9(integer: n)),
            ]
            let window = Window(start: 10_000 * (n % 3), end: 10_000 * (n % 3 + 1))
            return PartialRow(window: window, group: [.string("p\(i)"), .number(Decimal9(integer: n - 25))], states: states, isFinal: true)
        }
        let rows = (0..<50).map(row)
        var fixed: [UInt8] = []
        var compact = WireWriter()
        for row in rows {
            fixed += Self.fixedLayout(row)
            PartialRowCodec.append(row, to: &compact)
        }
        func job(_ bytes: [UInt8]) -> JobCheckpoint {
            JobCheckpoint(name: "j", specDigest: 1, nextOffset: 9, rejected: 0, newestEnd: 30_000,
                          engine: EngineSnapshot(watermark: 1, maxEventTime: 2, stats: EngineStats(), lateLedger: LateLedger(counts: [:]), cells: []),
                          finals: [FinalRowGroup(start: 0, maxEnd: 30_000, rows: rows.count, bytes: bytes)])
        }
        // Sealed now (label 4, XXH64 digest) around fixed rows, then labeled 3, whose digest is the same.
        let sealed = try CheckpointBlob.seal(kind: .base, partition: 2, epoch: 1, seq: 1, previousDigest: 0, jobs: [job(fixed)])
        var v3 = Array(sealed.bytes.dropLast(4))
        v3[4] = 3
        let crc = CRC32C.checksum(v3)
        for k in 0..<4 { v3.append(UInt8(truncatingIfNeeded: crc >> (8 * UInt32(k)))) }
        let opened = try CheckpointBlob.open(v3, partition: 2)
        #expect(opened.jobs == [job(compact.bytes)])
        #expect(try PartialRowCodec.decodeRows(opened.jobs[0].finals[0].bytes, count: rows.count) == rows)
    }

    static let everyKind: [PortableAggregate] = [
        .count(-2), .sum(Decimal9(scaled: -7), values: 3), .minimum(nil), .maximum(Decimal9(scaled: .max)), .average(Decimal9(integer: 4), values: 2),
        .distinct([.string("a"), .number(Decimal9(integer: 1))]), .approxDistinct(precision: 4, registers: [UInt8](repeating: 3, count: 16)),
        .sketch(DDSketchSnapshot(relativeError: 0.01, positiveOffset: -4, positiveCounts: [1, 0, 7], negativeOffset: 2, negativeCounts: [5],
                                 zeroCount: 1, count: 14)),
        .exact([Decimal9(integer: 1), Decimal9(scaled: 5)]), .top([.string("t"), .bool(true)], counts: [9, 1]),
        .first(TimedFieldValue(time: -1, value: .string("f"))), .last(nil),
    ]

    /// The fixed layout as wire protocol 3 and checkpoint versions 2–3 wrote it, kept here to
    /// make old bytes: every integer 8 bytes, every decimal 16, counts u16 / u32.
    static func fixedLayout(_ row: PartialRow) -> [UInt8] {
        var w = WireWriter()
        w.i64(row.window.start); w.i64(row.window.end); w.bool(row.isFinal)
        w.u16(UInt16(row.group.count)); for v in row.group { w.value(v) }
        w.u16(UInt16(row.states.count))
        func optional(_ d: Decimal9?) { if let d { w.u8(1); w.decimal(d) } else { w.u8(0) } }
        for s in row.states {
            switch s {
            case .count(let c): w.u8(1); w.i64(c)
            case .sum(let d, let n): w.u8(2); w.decimal(d); w.i64(n)
            case .minimum(let m): w.u8(3); optional(m)
            case .maximum(let m): w.u8(4); optional(m)
            case .average(let d, let n): w.u8(5); w.decimal(d); w.i64(n)
            case .distinct(let values): w.u8(6); w.u32(UInt32(values.count)); for v in values { w.value(v) }
            case .approxDistinct(let p, let registers): w.u8(7); w.u8(UInt8(p)); w.blob(registers)
            case .sketch(let s):
                w.u8(8); w.f64(s.relativeError)
                w.int(s.positiveOffset); w.u32(UInt32(s.positiveCounts.count)); for c in s.positiveCounts { w.i64(c) }
                w.int(s.negativeOffset); w.u32(UInt32(s.negativeCounts.count)); for c in s.negativeCounts { w.i64(c) }
                w.i64(s.zeroCount); w.i64(s.count)
            case .exact(let values): w.u8(9); w.u32(UInt32(values.count)); for v in values { w.decimal(v) }
            case .top(let values, let counts): w.u8(10); w.u32(UInt32(values.count)); for (v, c) in zip(values, counts) { w.value(v); w.i64(c) }
            case .first(let tv): w.u8(11); if let tv { w.u8(1); w.i64(tv.time); w.value(tv.value) } else { w.u8(0) }
            case .last(let tv): w.u8(12); if let tv { w.u8(1); w.i64(tv.time); w.value(tv.value) } else { w.u8(0) }
            }
        }
        return w.bytes
    }
}
