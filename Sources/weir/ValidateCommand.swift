import ArgumentParser
import WeirTools
import WeirCore

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check job specs and print what each one computes.")

    @Argument(help: "Job spec files (YAML or JSON).") var specs: [String]

    func run() throws {
        var failed = false
        for path in specs {
            do {
                let spec = try loadSpec(path)
                print("\(path): ok — job \(spec.name) on stream \(spec.stream), columns: window_start,window_end,\(spec.outputColumns.joined(separator: ","))")
            } catch {
                printError("weir: \(error)")  // and go on with the next file
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
    }
}
