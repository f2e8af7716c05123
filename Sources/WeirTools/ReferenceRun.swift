import Foundation
import WeirCore
import WeirRunner

/// One job over a whole recording with the reference implementation: what `verify` and
/// `replay --verify` compare the cluster's rollups with.
package enum ReferenceRun {
    package struct Result: Sendable { package var csv: String; package var accepted: Int64 }

    /// Runs `spec` over `input`, writing its CSV into `dir` (jobs may run in parallel).
    package static func run(_ spec: JobSpec, input: String, dir: String) throws -> Result {
        let out = dir + "/\(spec.name)-reference.csv"
        var settings = JobRun.Settings(spec: spec, inputPath: input)
        settings.useReference = true
        let report: JobRun.Report
        do {
            report = try JobRun(settings).run(sink: try RollupFileSink(path: out, spec: spec, format: .csv))
        } catch {
            throw fail("reference run of \(spec.name): \(error)", origin: .external)
        }
        return Result(csv: try String(contentsOfFile: out, encoding: .utf8), accepted: report.stats.accepted)
    }
}
