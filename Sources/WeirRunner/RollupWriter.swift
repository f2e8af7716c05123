import WeirCodec
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

    public static func csvLine(_ row: RollupRow) -> String {
        var fields = [String(row.window.start), String(row.window.end)]
        fields += row.group.map { csvField($0.description) }
        fields += row.cells.map { csvField($0.description) }
        return fields.joined(separator: ",")
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

    /// The whole output text for rows already in canonical order.
    public static func render(_ rows: [RollupRow], spec: JobSpec, format: RollupFormat) -> String {
        var out = ""
        switch format {
        case .csv:
            out += header(spec) + "\n"
            for row in rows { out += csvLine(row) + "\n" }
        case .ndjson:
            for row in rows { out += ndjsonLine(row, spec: spec) + "\n" }
        }
        return out
    }

    static func csvField(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
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

import Foundation
