import ArgumentParser
import Foundation
import WeirTools

/// `weir up`: a whole local cluster (coordinator + workers) on loopback, optionally with the
/// sample jobs and a replay of a generated recording.
struct UpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Start a local cluster: a coordinator and N workers on loopback.",
        discussion: "With --demo it also submits the sample jobs in jobs/ and replays a generated recording, printing live rollups.")

    @Option(help: "Number of worker processes.")
    var workers = 2

    @Option(name: .customLong("data-dir"), help: "Where the cluster keeps its logs and state.")
    var dataDir = "weir-data"

    @Option(help: "host:port of the HTTP API.")
    var http = "127.0.0.1:7480"

    @Option(help: "host:port of the binary protocol.")
    var listen = "127.0.0.1:7400"

    @Option(help: "Partitions (fixed when the data directory is created).")
    var partitions = 16

    @Flag(help: "Submit the sample jobs and replay a generated recording.")
    var demo = false

    @Option(name: .customLong("jobs-dir"), help: "Where --demo finds the sample job specs.")
    var jobsDir = "jobs"

    @Option(name: .customLong("demo-events"), help: "Events in the demo recording.")
    var demoEvents = "2M"

    @Option(name: .customLong("demo-rate"), help: "Replay rate of the demo.")
    var demoRate = "20k/s"

    @Flag(name: .customLong("no-restart"), help: "Do not restart a child process that dies.")
    var noRestart = false

    func run() async throws {
        var settings = LocalClusterUp.Settings()
        settings.workers = workers
        settings.dataDir = dataDir
        settings.http = http
        settings.listen = listen
        settings.partitions = partitions
        settings.demo = demo
        settings.jobsDir = jobsDir
        settings.demoEvents = demoEvents
        settings.demoRate = demoRate
        settings.noRestart = noRestart
        try await LocalClusterUp(settings).run()
    }
}
