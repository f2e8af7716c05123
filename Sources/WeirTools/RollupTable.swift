import Foundation

/// Renders a rollup answer (the API's JSON) as aligned text tables, one per window.
package enum RollupTable {
    package static func render(_ answer: [String: Any]) -> String {
        let groupBy = answer["group_by"] as? [String] ?? []
        let columns = answer["columns"] as? [String] ?? []
        let windows = answer["windows"] as? [[String: Any]] ?? []
        var lines: [String] = []
        let missing = answer["partitions_missing"] as? [Int] ?? []
        let watermark = (answer["watermark"] as? NSNumber).map { iso($0.int64Value) } ?? "none yet"
        lines.append("\(answer["job"] ?? "?"): \(windows.count) windows, watermark \(watermark)"
                     + (missing.isEmpty ? "" : ", INCOMPLETE: partitions \(missing) did not answer"))
        for w in windows {
            let start = (w["start"] as? NSNumber)?.int64Value ?? 0, end = (w["end"] as? NSNumber)?.int64Value ?? 0
            let state = (w["final"] as? Bool == true) ? "final" : "open"
            let late = (w["late_events"] as? NSNumber)?.int64Value ?? 0
            lines.append("")
            lines.append("window \(iso(start)) – \(iso(end))  [\(state)\(late > 0 ? ", \(late) late events" : "")]")
            let header = groupBy + columns
            var table: [[String]] = [header]
            for row in w["rows"] as? [[String: Any]] ?? [] {
                let group = row["group"] as? [String: Any] ?? [:], values = row["values"] as? [String: Any] ?? [:]
                table.append(groupBy.map { text(group[$0]) } + columns.map { text(values[$0]) })
            }
            let widths = header.indices.map { i in table.map { $0[i].count }.max() ?? 0 }
            for r in table { lines.append("  " + r.enumerated().map { pad($0.element, widths[$0.offset] + 1) }.joined()) }
        }
        return lines.joined(separator: "\n")
    }

    package static func text(_ v: Any?) -> String {
        switch v {
        case nil, is NSNull: return ""
        case let s as String: return s
        case let n as NSNumber: return n.stringValue
        default: return v.map { String(describing: $0) } ?? ""
        }
    }

    package static func iso(_ ms: Int64) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }
}
