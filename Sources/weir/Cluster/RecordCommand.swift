import ArgumentParser
import Foundation
import WeirTools

/// `weir record`: taps a live stream into a recording (zstd, indexed by event time) that
/// `weir replay`, `weir run` and `weir verify` read.
struct RecordCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Record a live stream into a recording file, until Ctrl-C or --events N.")

    @OptionGroup var cluster: ClusterOptions

    @Option(help: "The stream to record.")
    var stream: String

    @Option(help: "The recording to write (.zst).")
    var out: String

    @Option(help: "Stop after this many events, e.g. 1M.")
    var events: String?

    @Option(help: "now: events from now on; start: also the ones still in the logs.")
    var from = "now"

    @Option(name: .customLong("time-field"), help: "Top-level field with the event time in epoch ms, for the recording's time index (replay --speed).")
    var timeField = "ts"

    @Option(help: "Keep --out under this directory (default: $WEIR_RECORDINGS_ROOT, if set).")
    var root: String?

    func run() async throws {
        let limit = try events.map { text -> Int in
            guard let n = parseCount(text), n > 0 else { throw fail("--events \(text): expected a count like 1M") }
            return n
        }
        guard from == "now" || from == "start" else { throw fail("--from \(from): expected now or start") }
        var settings = StreamRecorder.Settings(stream: stream, out: try ConfinedPath.resolve(out, root: root ?? ConfinedPath.configuredRoot))
        settings.eventsMax = limit
        settings.fromStart = from == "start"
        settings.timeField = timeField
        settings.http = cluster.client
        try await StreamRecorder(settings).run()
    }
}
