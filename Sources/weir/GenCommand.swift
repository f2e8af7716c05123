import ArgumentParser
import Foundation
import WeirTools
import WeirCore
import WeirRunner

struct GenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gen",
        abstract: "Generate the canonical seeded `clicks` workload as a recording (.zst).")

    @Option(help: "Number of events (accepts k, M, G suffixes).") var events: String = "10M"
    @Option(help: "Random seed; the same seed always gives the same file.") var seed: UInt64 = 7
    @Option(help: "Output recording path.") var out: String
    @Option(help: "Event-time span covered by 10M events (scaled to --events).") var spanPer10m: String = "1h"
    @Option(help: "Fraction of events delayed (out of order).") var delayed: Double = 0.30
    @Option(help: "Largest delay of a delayed event.") var maxDelay: String = "2s"
    @Option(help: "Fraction of events far behind, beyond any lateness allowance.") var late: Double = 0
    @Option(help: "How far behind a late event is (at least).") var lateBy: String = "2m"
    @Option(help: "Event time of the first event, ms since the Unix epoch.") var start: Int64 = 1_767_225_600_000

    func run() throws {
        guard let n = parseCount(events), n > 0 else { throw fail("--events \"\(events)\" is not a positive count (e.g. 10M, 500k)") }
        guard let span = DurationText.milliseconds(spanPer10m), span > 0 else { throw fail("--span-per-10m \"\(spanPer10m)\" is not a duration") }
        guard let delay = DurationText.milliseconds(maxDelay) else { throw fail("--max-delay \"\(maxDelay)\" is not a duration") }
        guard let lateMs = DurationText.milliseconds(lateBy) else { throw fail("--late-by \"\(lateBy)\" is not a duration") }
        guard (0...1).contains(delayed), (0...1).contains(late), delayed + late <= 1 else {
            throw fail("--delayed and --late must be fractions in 0...1 that add up to at most 1")
        }
        var settings = ClickWorkload.Settings()
        settings.seed = seed
        settings.events = n
        settings.millisecondsPer10MEvents = span
        settings.delayedFraction = delayed
        settings.delayMaxMilliseconds = delay
        settings.lateFraction = late
        settings.lateByMilliseconds = lateMs
        settings.startTime = start
        let dir = (out as NSString).deletingLastPathComponent
        if !dir.isEmpty { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        let began = Date()
        do {
            let result = try GenerateRecording.run(settings, path: out) { drawProgress($0, of: n, label: "gen") }
            let seconds = Date().timeIntervalSince(began)
            printError("wrote \(result.events) events (\(result.bytes) bytes) to \(out) in \(String(format: "%.1f", seconds)) s")
        } catch {
            throw fail("\(error)")
        }
    }
}
