/// One output value of a rollup row.
public enum Cell: Sendable, Equatable, CustomStringConvertible {
    case null
    case integer(Int64)
    case decimal(Decimal9)
    /// Sketch answers (quantiles); printed as Swift's shortest round-trip text.
    case double(Double)
    case value(FieldValue)
    /// Composite answers such as top-n lists (`p1=30;p7=12`).
    case text(String)

    /// The CSV text (before CSV quoting).
    public var description: String {
        switch self {
        case .null: return ""
        case .integer(let i): return String(i)
        case .decimal(let d): return d.description
        case .double(let d):
            if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
            return "\(d)"
        case .value(let v): return v.description
        case .text(let s): return s
        }
    }
}

/// One output row: a window, a group and the aggregates' cells in spec column order.
public struct RollupRow: Sendable, Equatable {
    public var window: Window
    public var group: [FieldValue]
    public var cells: [Cell]
    /// False for rows flushed at end of input before their window was final.
    public var isFinal: Bool

    public init(window: Window, group: [FieldValue], cells: [Cell], isFinal: Bool) {
        self.window = window
        self.group = group
        self.cells = cells
        self.isFinal = isFinal
    }

    /// Canonical order: window start, window end, then group values.
    public static func canonicallyPrecedes(_ a: RollupRow, _ b: RollupRow) -> Bool {
        if a.window != b.window { return a.window < b.window }
        return a.group.canonicallyPrecedes(b.group)
    }

    /// True when `rows` are already in canonical order (one linear pass; the engine usually emits
    /// whole windows in order, so this spares the sort).
    public static func isCanonicallySorted(_ rows: [RollupRow]) -> Bool {
        var i = 1
        while i < rows.count {
            let a = rows[i - 1].window, b = rows[i].window
            if b < a { return false }
            if a == b && rows[i].group.canonicallyPrecedes(rows[i - 1].group) { return false }
            i += 1
        }
        return true
    }

    /// `rows` in canonical order. Sorts plain (start, end, index) keys, so large batches sort
    /// without copying rows around; rows of one window compare their groups' order-preserving
    /// byte keys (`ValueEncoding.appendSortKey`, made once per row), not their values: comparing
    /// `FieldValue`s (a `String` equality and then a UTF-8 walk per text value, per comparison)
    /// was most of a dashboard query's canonical sorts in perf.
    public static func sortedCanonically(_ rows: [RollupRow]) -> [RollupRow] {
        if isCanonicallySorted(rows) { return rows }
        var sortKeys: [UInt8] = []
        var bounds: [Int] = [0]
        bounds.reserveCapacity(rows.count + 1)
        for row in rows {
            for value in row.group { ValueEncoding.appendSortKey(value, to: &sortKeys) }
            bounds.append(sortKeys.count)
        }
        var keys = rows.indices.map { (start: rows[$0].window.start, end: rows[$0].window.end, index: $0) }
        sortKeys.withUnsafeBytes { bytes in
            keys.sort { a, b in
                if a.start != b.start { return a.start < b.start }
                if a.end != b.end { return a.end < b.end }
                let x = UnsafeRawBufferPointer(rebasing: bytes[bounds[a.index]..<bounds[a.index + 1]])
                let y = UnsafeRawBufferPointer(rebasing: bytes[bounds[b.index]..<bounds[b.index + 1]])
                return ByteText.precedes(x, y)
            }
        }
        return keys.map { rows[$0.index] }
    }
}
