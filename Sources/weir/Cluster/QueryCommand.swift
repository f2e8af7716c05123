import ArgumentParser
import Foundation
import WeirTools
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
