import Foundation

import WeirCore

/// Output formats of rollups.
public enum RollupFormat: String, Sendable, CaseIterable {
    case csv
    case ndjson
}

/// Writes rollup rows in canonical form: CSV with header
/// `window_start,window_end,<group fields>,<aggregate columns>`, or one JSON object per row.
public enum RollupWriter {
    public static func header(_ spec: JobSpec) -> String {
        (["window_start", "window_end"] + spec.outputColumns).map(csvField).joined(separator: ",")
    }

    /// One CSV line (no newline).
    public static func csvLine(_ row: RollupRow) -> String {
        var out: [UInt8] = []
        appendCSV(row, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends one CSV line (no newline) as bytes: the fast path for large outputs.
    public static func appendCSV(_ row: RollupRow, to out: inout [UInt8]) {
        appendInt(row.window.start, to: &out)
        out.append(UInt8(ascii: ","))
        appendInt(row.window.end, to: &out)
        for value in row.group {
            out.append(UInt8(ascii: ","))
            appendCSVText(value, to: &out)
        }
        for cell in row.cells {
            out.append(UInt8(ascii: ","))
            switch cell {
            case .null: break
            case .integer(let i): appendInt(i, to: &out)
            case .decimal(let d): d.appendText(to: &out)
            case .value(let v): appendCSVText(v, to: &out)
            default: appendCSVField(cell.description, to: &out)
            }
        }
    }

    public static func ndjsonLine(_ row: RollupRow, spec: JobSpec) -> String {
        var parts = ["\"window_start\":\(row.window.start)", "\"window_end\":\(row.window.end)", "\"final\":\(row.isFinal)"]
        for (name, value) in zip(spec.groupBy, row.group) {
            parts.append("\(JSONText.quote(name)):\(json(value))")
        }
        for (name, cell) in zip(spec.aggregates.flatMap(\.outputColumns), row.cells) {
            parts.append("\(JSONText.quote(name)):\(json(cell))")
        }
        return "{" + parts.joined(separator: ",") + "}"
    }

    /// Appends one row as a line (with its newline) in `format`.
    public static func appendLine(_ row: RollupRow, spec: JobSpec, format: RollupFormat, to out: inout [UInt8]) {
        switch format {
        case .csv: appendCSV(row, to: &out)
        case .ndjson: out += Array(ndjsonLine(row, spec: spec).utf8)
        }
        out.append(UInt8(ascii: "\n"))
    }

    /// The whole output for rows already in canonical order (what `RollupFileSink` streams).
    public static func render(_ rows: [RollupRow], spec: JobSpec, format: RollupFormat) -> [UInt8] {
        var out: [UInt8] = format == .csv ? Array((header(spec) + "\n").utf8) : []
        for row in rows { appendLine(row, spec: spec, format: format, to: &out) }
        return out
    }

    static func appendInt(_ v: Int64, to out: inout [UInt8]) { ByteText.appendInt(v, to: &out) }

    static func appendCSVText(_ v: FieldValue, to out: inout [UInt8]) {
        switch v {
        case .null: break
        case .string(let s): appendCSVField(s, to: &out)
        case .number(let d): d.appendText(to: &out)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        }
    }

    /// Appends `s`, quoted when it holds a comma, quote or line break.
    static func appendCSVField(_ s: String, to out: inout [UInt8]) {
        let needsQuotes = s.utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 10 || $0 == 13 }
        guard needsQuotes else {
            out.append(contentsOf: s.utf8)
            return
        }
        out.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            if b == UInt8(ascii: "\"") { out.append(b) }
            out.append(b)
        }
        out.append(UInt8(ascii: "\""))
    }

    static func csvField(_ s: String) -> String {
        var out: [UInt8] = []
        appendCSVField(s, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func json(_ v: FieldValue) -> String {
        switch v {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let d): return d.description
        case .string(let s): return JSONText.quote(s)
        }
    }

    static func json(_ c: Cell) -> String {
        switch c {
        case .null: return "null"
        case .integer, .decimal: return c.description
        case .double(let d): return d.isFinite ? c.description : "null"
        case .value(let v): return json(v)
        case .text(let s): return JSONText.quote(s)
        }
    }
}
