import ArgumentParser

/// The `weir` command line: every subcommand parses flags and calls into the libraries.
@main
struct Weir: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weir",
        abstract: "Weir: exact windowed rollups over event streams.",
        subcommands: [
            UpCommand.self, CoordinatorCommand.self, WorkerCommand.self, SubmitCommand.self, JobsCommand.self, CancelCommand.self,
            StatusCommand.self, QueryCommand.self, ReplayCommand.self, RecordCommand.self, VerifyCommand.self,
            RunCommand.self, GenCommand.self, ValidateCommand.self, InspectCommand.self, OpenAPICommand.self,
        ]
    )
}
