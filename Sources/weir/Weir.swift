import ArgumentParser
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
}

/// The version `weir --version` prints.
enum WeirVersion {
    static let current = "0.9.0 (wire protocol \(WireMessage.version), checkpoint format \(CheckpointBlob.version))"
}
