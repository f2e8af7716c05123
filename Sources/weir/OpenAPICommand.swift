import ArgumentParser
import WeirTools
import WeirHTTP

/// `weir openapi`: prints the HTTP API's OpenAPI document (the one served at `/openapi.yaml`).
struct OpenAPICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "openapi",
        abstract: "Print the HTTP API's OpenAPI 3.0 document (also served at /openapi.yaml).")

    func run() {
        print(OpenAPIDocument.yaml, terminator: OpenAPIDocument.yaml.hasSuffix("\n") ? "" : "\n")
    }
}
