import ArgumentParser
import Foundation
import WeirTools
import Synchronization
import WeirCodec
import WeirFiles
import WeirCore
import WeirWire

/// `weir replay`: sends a recording to the coordinator over the binary protocol.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay a recorded stream (.zst or NDJSON) into the cluster.",
        discussion: "Without a pace option the recording is sent as fast as the coordinator acknowledges it (--max).")

    @Argument(help: "The recording (.zst from `weir gen`, any .zst of NDJSON, or plain NDJSON).")
    var recording: String

    @Option(help: "The stream to send to (default: the recording's own stream).")
    var stream: String?

    @Option(help: "host:port of the coordinator's binary protocol (its --listen).")
    var coordinator = "127.0.0.1:7400"

    @Option(help: "Events per second, e.g. 200k/s.")
    var rate: String?

    @Option(help: "Event time per wall time, e.g. 10x (needs an indexed recording).")
    var speed: String?

    @Flag(name: .customLong("max"), help: "As fast as possible (the default).")
    var asFastAsPossible = false

    @Option(name: .customLong("batch-bytes"), help: "Bytes of events per message.")
    var batchBytes = 256 << 10

    @Option(help: "Keep the recording's path under this directory (default: $WEIR_RECORDINGS_ROOT, if set).")
    var root: String?

    @Flag(help: "Sample end-to-end latency (send → visible in rollups) and print its percentiles (uses --http).")
    var latency = false

    @Flag(help: "At the end, wait until the cluster caught up and diff every job on the stream against the reference over this recording (uses --http; meaningful when the stream holds only this recording).")
    var verify = false

    @OptionGroup var cluster: ClusterOptions

    @Option(help: "Messages in flight before waiting for acknowledgements.")
    var window = 16

    @Option(name: .customLong("reconnect-for"), help: "When the coordinator goes away (a restart), keep reconnecting this long, then resend what it did not acknowledge (each batch is counted once).")
    var reconnectFor = "60s"

    func run() async throws {
        var settings = ReplayClient.Settings(recording: try ConfinedPath.resolve(recording, root: root ?? ConfinedPath.configuredRoot))
        settings.stream = stream
        settings.coordinator = coordinator
        settings.pace = try Pace(rate: rate, speed: speed, max: asFastAsPossible)
        settings.batchBytes = batchBytes
        settings.window = window
        settings.token = cluster.token
        settings.http = cluster.client
        settings.sampleLatency = latency
        settings.verify = verify
        guard let reconnectMs = DurationText.milliseconds(reconnectFor), reconnectMs >= 0 else {
            throw fail("--reconnect-for \(reconnectFor): expected a duration such as 60s")
        }
        settings.reconnectFor = .milliseconds(reconnectMs)
        try await ReplayClient(settings).run()
    }
}
