import WeirCore

/// Binary form of `PartialRow`s and `PortableAggregate`s on the wire.
///
/// ```
/// row   : start i64 | end i64 | final u8 | groups u16 | value… | states u16 | state…
/// state : tag u8 | payload (per tag, below)
/// ```
public enum PartialRowCodec {
    enum Tag: UInt8 {
        case count = 1, sum, minimum, maximum, average, distinct, approxDistinct, sketch, exact, top, first, last
    }

    public static func append(_ row: PartialRow, to w: inout WireWriter) {
        w.i64(row.window.start)
        w.i64(row.window.end)
        w.bool(row.isFinal)
        w.u16(UInt16(row.group.count))
        for v in row.group { w.value(v) }
        w.u16(UInt16(row.states.count))
        for s in row.states { append(s, to: &w) }
    }

    /// The same bytes as `append(_ row: PartialRow, …)` of that row, written from the engine's
    /// state: the group key is already the values' encoding, and no row is built.
    public static func append(_ row: EmittedRow, to w: inout WireWriter) {
        w.i64(row.window.start)
        w.i64(row.window.end)
        w.bool(row.isFinal)
        w.u16(UInt16(row.groupCount))
        w.raw(row.groupKey)
        w.u16(UInt16(row.stateCount))
        row.forEachState { append($0, to: &w) }
    }

    public static func decodeRow(_ r: inout WireReader) throws(WireError) -> PartialRow {
        let start = try r.i64("window start"), end = try r.i64("window end")
        guard start < end else { throw WireError("window [\(start), \(end)) is empty") }
        let isFinal = try r.bool("final flag")
        let groups = Int(try r.u16("group count"))
        var group: [FieldValue] = []
        for _ in 0..<groups { group.append(try r.value("group value")) }
        let count = Int(try r.u16("state count"))
        var states: [PortableAggregate] = []
        for _ in 0..<count { states.append(try decodeState(&r)) }
        return PartialRow(window: Window(start: start, end: end), group: group, states: states, isFinal: isFinal)
    }

    static func append(_ s: PortableAggregate, to w: inout WireWriter) {
        switch s {
        case .count(let c): w.u8(Tag.count.rawValue); w.i64(c)
        case .sum(let d, let n): w.u8(Tag.sum.rawValue); w.decimal(d); w.i64(n)
        case .average(let d, let n): w.u8(Tag.average.rawValue); w.decimal(d); w.i64(n)
        case .minimum(let m): w.u8(Tag.minimum.rawValue); optionalDecimal(m, &w)
        case .maximum(let m): w.u8(Tag.maximum.rawValue); optionalDecimal(m, &w)
        case .distinct(let values): w.u8(Tag.distinct.rawValue); w.u32(UInt32(values.count)); for v in values { w.value(v) }
        case .approxDistinct(let p, let registers): w.u8(Tag.approxDistinct.rawValue); w.u8(UInt8(p)); w.blob(registers)
        case .sketch(let s):
            w.u8(Tag.sketch.rawValue)
            w.f64(s.relativeError)
            w.int(s.positiveOffset); w.u32(UInt32(s.positiveCounts.count)); for c in s.positiveCounts { w.i64(c) }
            w.int(s.negativeOffset); w.u32(UInt32(s.negativeCounts.count)); for c in s.negativeCounts { w.i64(c) }
            w.i64(s.zeroCount); w.i64(s.count)
        case .exact(let values): w.u8(Tag.exact.rawValue); w.u32(UInt32(values.count)); for v in values { w.decimal(v) }
        case .top(let values, let counts):
            w.u8(Tag.top.rawValue); w.u32(UInt32(values.count))
            for (v, c) in zip(values, counts) { w.value(v); w.i64(c) }
        case .first(let tv): w.u8(Tag.first.rawValue); timed(tv, &w)
        case .last(let tv): w.u8(Tag.last.rawValue); timed(tv, &w)
        }
    }

    static func decodeState(_ r: inout WireReader) throws(WireError) -> PortableAggregate {
        let raw = try r.u8("aggregate tag")
        guard let tag = Tag(rawValue: raw) else { throw WireError("unknown aggregate tag \(raw) at byte \(r.position - 1)") }
        switch tag {
        case .count: return .count(try r.i64())
        case .sum: return .sum(try r.decimal(), values: try r.i64())
        case .average: return .average(try r.decimal(), values: try r.i64())
        case .minimum: return .minimum(try optionalDecimal(&r))
        case .maximum: return .maximum(try optionalDecimal(&r))
        case .distinct:
            let n = try r.count("distinct values")
            var values: [FieldValue] = []
            for _ in 0..<n { values.append(try r.value()) }
            return .distinct(values)
        case .approxDistinct: return .approxDistinct(precision: Int(try r.u8("precision")), registers: try r.blob("registers"))
        case .sketch:
            let e = try r.f64("relative error")
            let po = try r.int(); let pc = try counts(&r)
            let no = try r.int(); let nc = try counts(&r)
            return .sketch(DDSketchSnapshot(relativeError: e, positiveOffset: po, positiveCounts: pc, negativeOffset: no,
                                            negativeCounts: nc, zeroCount: try r.i64(), count: try r.i64()))
        case .exact:
            let n = try r.count("exact values")
            var values: [Decimal9] = []
            for _ in 0..<n { values.append(try r.decimal()) }
            return .exact(values)
        case .top:
            let n = try r.count("top values")
            var values: [FieldValue] = [], counts: [Int64] = []
            for _ in 0..<n { values.append(try r.value()); counts.append(try r.i64()) }
            return .top(values, counts: counts)
        case .first: return .first(try timed(&r))
        case .last: return .last(try timed(&r))
        }
    }

    private static func counts(_ r: inout WireReader) throws(WireError) -> [Int64] {
        let n = try r.count("sketch buckets", max: 1 << 16)
        var out: [Int64] = []
        for _ in 0..<n { out.append(try r.i64()) }
        return out
    }

    private static func optionalDecimal(_ d: Decimal9?, _ w: inout WireWriter) {
        if let d { w.u8(1); w.decimal(d) } else { w.u8(0) }
    }

    private static func optionalDecimal(_ r: inout WireReader) throws(WireError) -> Decimal9? {
        try r.bool("presence") ? try r.decimal() : nil
    }

    private static func timed(_ tv: TimedFieldValue?, _ w: inout WireWriter) {
        if let tv { w.u8(1); w.i64(tv.time); w.value(tv.value) } else { w.u8(0) }
    }

    private static func timed(_ r: inout WireReader) throws(WireError) -> TimedFieldValue? {
        try r.bool("presence") ? TimedFieldValue(time: try r.i64(), value: try r.value()) : nil
    }
}
