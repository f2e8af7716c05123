import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `weir query JOB`: live rollups from the cluster.
struct QueryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "query", abstract: "Query a job's live rollups.")

    @Argument(help: "The job's name.")
    var job: String

    @Option(help: "Windows starting at or after this event time (epoch ms or ISO-8601).")
    var from: String?

    @Option(help: "Windows starting before this event time (epoch ms or ISO-8601).")
    var to: String?

    @Option(help: "Only windows starting within this duration of the newest, e.g. 5m.")
    var last: String?

    @Option(name: .customLong("where"), help: "Keep groups with field=value (repeatable).")
    var filters: [String] = []

    @Option(help: "Keep the top N groups of each window.")
    var top: Int?

    @Option(help: "The column to rank by for --top (default: the first aggregate).")
    var by: String?

    @Option(help: "table, json, csv or ndjson (csv/ndjson are byte-identical to `weir run`).")
    var format = "table"

    @OptionGroup var cluster: ClusterOptions

    func run() async throws {
        guard ["table", "json", "csv", "ndjson"].contains(format) else { throw fail("--format \(format): expected table, json, csv or ndjson") }
        var items: [URLQueryItem] = []
        if let from { items.append(URLQueryItem(name: "from", value: from)) }
        if let to { items.append(URLQueryItem(name: "to", value: to)) }
        if let last { items.append(URLQueryItem(name: "last", value: last)) }
        for f in filters { items.append(URLQueryItem(name: "where", value: f)) }
        if let top { items.append(URLQueryItem(name: "top", value: String(top))) }
        if let by { items.append(URLQueryItem(name: "by", value: by)) }
        if format != "table" { items.append(URLQueryItem(name: "format", value: format)) }
        let escaped = job.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? job
        let data = try await clusterCall { try await cluster.client.raw("GET", "/v1/jobs/\(escaped)/rollups", query: items) }
        guard format == "table" else {
            FileHandle.standardOutput.write(data)
            return
        }
        guard let answer = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { throw fail("the coordinator sent a non-JSON answer") }
        print(RollupTable.render(answer))
    }
}

/// Renders a rollup answer (the API's JSON) as aligned text tables, one per window.
enum RollupTable {
    static func render(_ answer: [String: Any]) -> String {
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

    static func text(_ v: Any?) -> String {
        switch v {
        case nil, is NSNull: return ""
        case let s as String: return s
        case let n as NSNumber: return n.stringValue
        default: return v.map { String(describing: $0) } ?? ""
        }
    }

    static func iso(_ ms: Int64) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }
}
