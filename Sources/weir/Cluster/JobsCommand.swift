import ArgumentParser
import Foundation
import WeirTools

/// `weir jobs`: the registered jobs.
struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "jobs", abstract: "List the jobs registered with the cluster.")

    @OptionGroup var cluster: ClusterOptions

    func run() async throws {
        let answer = try await clusterCall { try await cluster.client.get("/v1/jobs") }
        let jobs = answer["jobs"] as? [[String: Any]] ?? []
        if jobs.isEmpty { print("no jobs; submit one with `weir submit jobs/<name>.yaml`") }
        for j in jobs { print("\(j["name"] as? String ?? "?")\tstream \(j["stream"] as? String ?? "?")") }
    }
}

/// `weir cancel NAME`: unregister a job.
struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Cancel (unregister) a job.")

    @Argument(help: "The job's name.")
    var name: String

    @OptionGroup var cluster: ClusterOptions

    func run() async throws {
        let escaped = name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? name
        _ = try await clusterCall { try await cluster.client.request("DELETE", "/v1/jobs/\(escaped)") }
        print("cancelled \(name)")
    }
}
