import ArgumentParser
import Foundation
import WeirTools
import WeirCore

/// `weir submit jobs/x.yaml`: validate locally, then register with the coordinator.
struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "submit", abstract: "Validate a job spec and register it with the cluster.")

    @Argument(help: "Job spec files (YAML or JSON).")
    var specs: [String]

    @OptionGroup var cluster: ClusterOptions

    func run() async throws {
        for path in specs {
            let spec = try loadSpec(path)  // errors name the file, field and line before anything is sent
            let text = try String(contentsOfFile: path, encoding: .utf8)
            _ = try await clusterCall { try await cluster.client.request("POST", "/v1/jobs", body: Data(text.utf8)) }
            print("submitted \(spec.name) (stream \(spec.stream))")
        }
    }
}
