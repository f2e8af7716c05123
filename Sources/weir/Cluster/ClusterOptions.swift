import ArgumentParser
import Foundation
import WeirTools

/// `--http`: where the coordinator's HTTP API is (default: the local cluster of `weir up`).
struct ClusterOptions: ParsableArguments {
    @Option(help: "host:port of the coordinator's HTTP API; $WEIR_HTTP when set.")
    var http = ProcessInfo.processInfo.environment["WEIR_HTTP"] ?? "127.0.0.1:7480"

    @Option(help: "A token of the coordinator's --auth-tokens file (default: $WEIR_TOKEN).")
    var token: String?

    var client: ClusterClient { ClusterClient(address: http, token: token ?? ProcessInfo.processInfo.environment["WEIR_TOKEN"]) }
}

/// Runs a cluster call; an API failure becomes `weir: <message>` and exit code 1.
func clusterCall<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let failure as ClusterClient.Failure {
        throw fail(failure.description)
    }
}
