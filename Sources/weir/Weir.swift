import ArgumentParser

/// The `weir` command line: every subcommand parses flags and calls into the libraries.
@main
struct Weir: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weir",
        abstract: "Weir: exact windowed rollups over event streams.",
        subcommands: [RunCommand.self, GenCommand.self, ValidateCommand.self, InspectCommand.self]
    )
}
