import ArgumentParser
import Foundation
import WeirTools

/// `weir status`: workers, partitions, lease holders, epochs and lag.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show workers, partitions, lease holders, epochs and lag.")

    @OptionGroup var cluster: ClusterOptions

    @Flag(help: "Print the raw JSON.")
    var json = false

    func run() async throws {
        if json {
            let data = try await clusterCall { try await cluster.client.raw("GET", "/v1/cluster") }
            FileHandle.standardOutput.write(data)
            return
        }
        let c = try await clusterCall { try await cluster.client.get("/v1/cluster") }
        let workers = c["workers"] as? [[String: Any]] ?? []
        let partitions = c["partitions"] as? [[String: Any]] ?? []
        let events = c["events"] as? [String: Any] ?? [:]
        print("workers: \(workers.count)   jobs: \((c["jobs"] as? [String] ?? []).joined(separator: ", "))   events accepted \(events["accepted"] ?? 0), rejected \(events["rejected"] ?? 0)")
        for w in workers {
            let ps = (w["partitions"] as? [Int] ?? []).map(String.init).joined(separator: ",")
            print("  \(w["name"] ?? "?")\(w["leaving"] as? Bool == true ? " (leaving)" : "")  partitions [\(ps)]")
            if let problem = w["problem"] as? String { print("    UNHEALTHY: \(problem)") }
        }
        print(pad("partition", 10) + pad("holder", 24) + pad("epoch", 8) + pad("log end", 12) + pad("consumed", 12) + "lag")
        for p in partitions {
            let holder = (p["holder"] as? String) ?? "-"
            let revoking = p["revoking"] as? Bool == true ? " (moving)" : ""
            print(pad("\(p["partition"] ?? "?")", 10) + pad(holder + revoking, 24) + pad("\(p["epoch"] ?? 0)", 8)
                  + pad("\(p["log_end"] ?? 0)", 12) + pad("\(p["consumed"] ?? 0)", 12) + "\(p["lag"] ?? 0)")
        }
    }
}
