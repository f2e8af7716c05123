import WeirCore

/// Binary form of `PartialRow`s and `PortableAggregate`s on the wire, in checkpoints and in a
/// worker's retained final rows.
///
/// ```
/// row   : start zigzag | end − start varint | final u8 | groups varint | value… | states varint | state…
/// state : tag u8 | payload (per tag, below; integers as zigzag varints, decimals compact)
/// ```
/// Rows are written in the `compact` layout (wire protocol 4, checkpoint version 4). The
/// `fixed` layout (every integer 8 bytes, every decimal 16) is what wire protocol 3 and
/// checkpoint versions 2–3 hold; it is still read, so a worker's older store stays usable. A row
/// of the sample `clicks-per-page` job takes 45 bytes compact against 125 fixed, and final
/// rows are most of what a worker keeps, checkpoints, replicates and reports.
public enum PartialRowCodec {
    /// How a row's numbers are written.
    public enum Layout: Sendable {
        /// Fixed-width little-endian: wire protocol ≤ 3, checkpoints version ≤ 3.
        case fixed
        /// Zigzag varints and compact decimals (`WireWriter.compactDecimal`).
        case compact
    }

    enum Tag: UInt8 {
        case count = 1, sum, minimum, maximum, average, distinct, approxDistinct, sketch, exact, top, first, last
    }

    public static func append(_ row: PartialRow, to w: inout WireWriter) {
        appendWindow(row.window, isFinal: row.isFinal, to: &w)
        w.varint(UInt64(row.group.count))
        for v in row.group { w.value(v) }
        w.varint(UInt64(row.states.count))
        for s in row.states { append(s, to: &w) }
    }

    /// The same bytes as `append(_ row: PartialRow, …)` of that row, written from the engine's
    /// state: the group key is already the values' encoding, and no row is built.
    public static func append(_ row: EmittedRow, to w: inout WireWriter) {
        appendWindow(row.window, isFinal: row.isFinal, to: &w)
        w.varint(UInt64(row.groupCount))
        w.raw(row.groupKey)
        w.varint(UInt64(row.stateCount))
        row.forEachState { append($0, to: &w) }
    }

    private static func appendWindow(_ window: Window, isFinal: Bool, to w: inout WireWriter) {
        precondition(window.start < window.end, "a row's window is not empty")
        w.zigzag(window.start)
        w.varint(UInt64(bitPattern: window.end) &- UInt64(bitPattern: window.start))  // the span: > 0, may exceed Int64
        w.bool(isFinal)
    }

    /// A row's window, final flag and group and state counts, read up to its first group value.
    struct RowHead {
        var window: Window
        var isFinal: Bool
        var groups: Int
    }

    static func decodeHead(_ r: inout WireReader, layout: Layout) throws(WireError) -> RowHead {
        let start: Int64, end: Int64
        switch layout {
        case .fixed:
            start = try r.i64("window start")
            end = try r.i64("window end")
        case .compact:
            start = try r.zigzag("window start")
            end = Int64(bitPattern: UInt64(bitPattern: start) &+ (try r.varint("window span")))
        }
        guard start < end else { throw WireError("window [\(start), \(end)) is empty") }
        let isFinal = try r.bool("final flag")
        return RowHead(window: Window(start: start, end: end), isFinal: isFinal, groups: try smallCount(&r, layout, "group count"))
    }

    /// A group or state count (at most `UInt16.max`).
    static func smallCount(_ r: inout WireReader, _ layout: Layout, _ what: String) throws(WireError) -> Int {
        switch layout {
        case .fixed: return Int(try r.u16(what))
        case .compact: return try r.varintCount(what, max: Int(UInt16.max))
        }
    }

    public static func decodeRow(_ r: inout WireReader, layout: Layout = .compact) throws(WireError) -> PartialRow {
        let head = try decodeHead(&r, layout: layout)
        var group: [FieldValue] = []
        for _ in 0..<head.groups { group.append(try r.value("group value")) }
        let count = try smallCount(&r, layout, "state count")
        var states: [PortableAggregate] = []
        for _ in 0..<count { states.append(try decodeState(&r, layout: layout)) }
        return PartialRow(window: head.window, group: group, states: states, isFinal: head.isFinal)
    }

    /// Rows of the `fixed` layout rewritten in the `compact` one (final rows of an older checkpoint).
    static func compacted(fixedRows bytes: [UInt8], count: Int) throws(WireError) -> [UInt8] {
        var r = WireReader(bytes)
        var w = WireWriter(capacity: bytes.count / 2)
        for _ in 0..<count { append(try decodeRow(&r, layout: .fixed), to: &w) }
        guard r.isAtEnd else { throw WireError("\(r.remaining) bytes after the last of \(count) rows") }
        return w.finish()
    }

    static func append(_ s: PortableAggregate, to w: inout WireWriter) {
        switch s {
        case .count(let c): w.u8(Tag.count.rawValue); w.zigzag(c)
        case .sum(let d, let n): w.u8(Tag.sum.rawValue); w.compactDecimal(d); w.zigzag(n)
        case .average(let d, let n): w.u8(Tag.average.rawValue); w.compactDecimal(d); w.zigzag(n)
        case .minimum(let m): w.u8(Tag.minimum.rawValue); w.compactDecimal(m)
        case .maximum(let m): w.u8(Tag.maximum.rawValue); w.compactDecimal(m)
        case .distinct(let values): w.u8(Tag.distinct.rawValue); w.varint(UInt64(values.count)); for v in values { w.value(v) }
        case .approxDistinct(let p, let registers):
            w.u8(Tag.approxDistinct.rawValue); w.u8(UInt8(p)); w.varint(UInt64(registers.count)); w.raw(registers)
        case .sketch(let s):
            w.u8(Tag.sketch.rawValue)
            w.f64(s.relativeError)
            w.zigzag(Int64(s.positiveOffset)); w.varint(UInt64(s.positiveCounts.count)); for c in s.positiveCounts { w.zigzag(c) }
            w.zigzag(Int64(s.negativeOffset)); w.varint(UInt64(s.negativeCounts.count)); for c in s.negativeCounts { w.zigzag(c) }
            w.zigzag(s.zeroCount); w.zigzag(s.count)
        case .exact(let values): w.u8(Tag.exact.rawValue); w.varint(UInt64(values.count)); for v in values { w.compactDecimal(v) }
        case .top(let values, let counts):
            w.u8(Tag.top.rawValue); w.varint(UInt64(values.count))
            for (v, c) in zip(values, counts) { w.value(v); w.zigzag(c) }
        case .first(let tv): w.u8(Tag.first.rawValue); timed(tv, &w)
        case .last(let tv): w.u8(Tag.last.rawValue); timed(tv, &w)
        }
    }

    static func decodeState(_ r: inout WireReader, layout: Layout = .compact) throws(WireError) -> PortableAggregate {
        let raw = try r.u8("aggregate tag")
        guard let tag = Tag(rawValue: raw) else { throw WireError("unknown aggregate tag \(raw) at byte \(r.position - 1)") }
        let n = Numbers(layout: layout)
        switch tag {
        case .count: return .count(try n.int(&r, "count"))
        case .sum: return .sum(try n.decimal(&r, "sum"), values: try n.int(&r, "sum values"))
        case .average: return .average(try n.decimal(&r, "average sum"), values: try n.int(&r, "average values"))
        case .minimum: return .minimum(try n.optionalDecimal(&r, "minimum"))
        case .maximum: return .maximum(try n.optionalDecimal(&r, "maximum"))
        case .distinct:
            let count = try n.count(&r, "distinct values")
            var values: [FieldValue] = []
            for _ in 0..<count { values.append(try r.value()) }
            return .distinct(values)
        case .approxDistinct:
            let precision = Int(try r.u8("precision"))
            return .approxDistinct(precision: precision, registers: try n.bytes(&r, "registers"))
        case .sketch:
            let e = try r.f64("relative error")
            let po = Int(try n.int(&r, "sketch offset")); let pc = try n.counts(&r)
            let no = Int(try n.int(&r, "sketch offset")); let nc = try n.counts(&r)
            return .sketch(DDSketchSnapshot(relativeError: e, positiveOffset: po, positiveCounts: pc, negativeOffset: no,
                                            negativeCounts: nc, zeroCount: try n.int(&r, "zero count"), count: try n.int(&r, "sketch count")))
        case .exact:
            let count = try n.count(&r, "exact values")
            var values: [Decimal9] = []
            for _ in 0..<count { values.append(try n.decimal(&r, "exact value")) }
            return .exact(values)
        case .top:
            let count = try n.count(&r, "top values")
            var values: [FieldValue] = [], counts: [Int64] = []
            for _ in 0..<count { values.append(try r.value()); counts.append(try n.int(&r, "top count")) }
            return .top(values, counts: counts)
        case .first: return .first(try n.timed(&r))
        case .last: return .last(try n.timed(&r))
        }
    }

    /// Reads a state's numbers in one layout.
    private struct Numbers {
        let layout: Layout

        func int(_ r: inout WireReader, _ what: String) throws(WireError) -> Int64 {
            layout == .compact ? try r.zigzag(what) : try r.i64(what)
        }

        func count(_ r: inout WireReader, _ what: String, max: Int = 1 << 24) throws(WireError) -> Int {
            layout == .compact ? try r.varintCount(what, max: max) : try r.count(what, max: max)
        }

        func decimal(_ r: inout WireReader, _ what: String) throws(WireError) -> Decimal9 {
            guard layout == .compact else { return try r.decimal(what) }
            guard let d = try r.compactDecimal(what) else { throw WireError("\(what) at byte \(r.position - 1) is absent") }
            return d
        }

        func optionalDecimal(_ r: inout WireReader, _ what: String) throws(WireError) -> Decimal9? {
            guard layout == .compact else { return try r.bool("presence") ? try r.decimal(what) : nil }
            return try r.compactDecimal(what)
        }

        func bytes(_ r: inout WireReader, _ what: String) throws(WireError) -> [UInt8] {
            guard layout == .compact else { return try r.blob(what) }
            return try r.raw(count(&r, what, max: 1 << 20), what)
        }

        func counts(_ r: inout WireReader) throws(WireError) -> [Int64] {
            let n = try count(&r, "sketch buckets", max: 1 << 16)
            var out: [Int64] = []
            for _ in 0..<n { out.append(try int(&r, "sketch bucket")) }
            return out
        }

        func timed(_ r: inout WireReader) throws(WireError) -> TimedFieldValue? {
            try r.bool("presence") ? TimedFieldValue(time: try int(&r, "time"), value: try r.value()) : nil
        }
    }

    private static func timed(_ tv: TimedFieldValue?, _ w: inout WireWriter) {
        if let tv { w.u8(1); w.zigzag(tv.time); w.value(tv.value) } else { w.u8(0) }
    }
}
