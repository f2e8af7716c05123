import ArgumentParser
import WeirTools
import WeirCodec

/// The `weir` command line: every subcommand parses flags and calls into the libraries.
@main
struct Weir: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weir",
        abstract: "Weir: exact windowed rollups over event streams.",
        version: WeirVersion.current,
        subcommands: [
            UpCommand.self, CoordinatorCommand.self, WorkerCommand.self, SubmitCommand.self, JobsCommand.self, CancelCommand.self,
            StatusCommand.self, QueryCommand.self, ReplayCommand.self, RecordCommand.self, VerifyCommand.self,
            RunCommand.self, GenCommand.self, ValidateCommand.self, InspectCommand.self, OpenAPICommand.self,
        ]
    )

    /// ArgumentParser's entry point, plus: a tool's `ToolError` is printed as `weir: <message>`
    /// with exit code 1 (without the usage text ArgumentParser adds to errors it does not know).
    static func main() async {
        ParentWatch.startIfAsked()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as ToolError {
            printError("weir: \(error.message)")
            exit(withError: ExitCode(1))
        } catch {
            exit(withError: error)
        }
    }
}

/// The version `weir --version` prints.
enum WeirVersion {
    static let current = "0.9.0 (wire protocol \(WireMessage.version), checkpoint format \(CheckpointBlob.version))"
}
