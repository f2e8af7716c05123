import ArgumentParser
import Foundation
import WeirTools
import WeirCodec
import WeirCore
import WeirRunner

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run one job over a recording in this process and print its rollups.")

    @Argument(help: "Job spec (jobs/*.yaml).") var job: String
    @Option(help: "Input recording (.zst) or NDJSON file.") var input: String
    @Option(help: "Write rollups here instead of standard output.") var output: String?
    @Option(help: "Output format: csv or ndjson.") var format: String = "csv"
    @Option(help: "Threads (2 or more: decompress ahead in parallel).") var threads: Int = 1
    @Flag(help: "Use the simple reference implementation instead of the engine.") var reference = false
    @Option(help: "Write rejected and late events to this NDJSON file.") var deadLetter: String?
    @Option(help: "Fail when more than this many events are bad.") var maxBad: Int64?
    @Flag(help: "Reject events holding nested objects or arrays (default: skip such values).") var rejectNested = false
    @Flag(help: "Print each window's rows to stderr as it becomes final.") var live = false

    func run() throws {
        guard let format = RollupFormat(rawValue: format) else { throw fail("--format \"\(format)\" is not csv or ndjson") }
        guard (1...64).contains(threads) else { throw fail("--threads \(threads) must be between 1 and 64") }
        if let maxBad, maxBad < 0 { throw fail("--max-bad must not be negative") }
        let spec = try loadSpec(job)
        var settings = JobRun.Settings(spec: spec, inputPath: input)
        settings.threads = threads
        settings.useReference = reference
        settings.deadLetterPath = deadLetter
        settings.maxBad = maxBad
        settings.rejectNested = rejectNested
        let report: JobRun.Report
        do {
            let sink = try RollupFileSink(path: output ?? "-", spec: spec, format: format)
            report = try JobRun(settings).run(sink: sink) { rows in
                if live { LiveView.print(rows, spec: spec) }
            }
        } catch {
            throw fail("\(error)")
        }
        printError(RunSummary.text(report, engine: reference ? "reference" : "engine", threads: threads))
    }
}
