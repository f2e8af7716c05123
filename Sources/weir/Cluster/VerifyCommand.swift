import ArgumentParser
import Foundation
import WeirCore
import WeirTools

/// `weir verify`: replays a recording into a cluster it starts — optionally while killing and
/// pausing workers on a seeded schedule — then diffs every rollup against the reference
/// implementation over the same recording and prints a pass/fail report.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Replay a recording into a local cluster (optionally with chaos) and check every rollup against the reference.",
        discussion: """
            Starts a coordinator and --workers workers on loopback, submits the jobs, replays the recording \
            and, with --chaos, kills (-9) and pauses (SIGSTOP) random workers, or adds and removes workers \
            (churn), on a seeded schedule while it runs. When the replay is done and every partition has caught up, each job's rollups (CSV) are \
            compared row by row with `weir run --reference` over the same recording.
            Example: weir verify rec.zst --job jobs/clicks-per-page.yaml --chaos kill=2s,pause=7s --seed 1
            """)

    @Argument(help: "A recording (.zst) made by `weir gen` or `weir record`.")
    var recording: String

    @Option(name: .customLong("job"), help: "A job spec to check (repeatable; default: every jobs/*.yaml on the recording's stream).")
    var jobs: [String] = []

    @Option(help: "Chaos while replaying: kill=DUR (mean time between kill -9s), pause=DUR (between pauses), pause-for=DUR, restart-after=DUR, churn=DUR (between a new worker joining and a running one leaving, alternately).")
    var chaos: String?

    @Option(help: "Crash points to sweep on worker w1, one after the other (comma-separated; see the failpoint list in docs/testing.md).")
    var failpoints: String?

    @Option(name: .customLong("crash-coordinator"), help: "Coordinator crash points to sweep, e.g. coordinator.after_commit@5,coordinator.after_persist_epoch@2 (the recording is replayed before the jobs are submitted, so the coordinator crashes while workers process it).")
    var crashCoordinator: String?

    @Option(help: "Seed of the chaos schedule (same seed, same schedule).")
    var seed: UInt64 = 1

    @Option(help: "Worker processes.")
    var workers = 3

    @Option(help: "Partitions.")
    var partitions = 16

    @Option(help: "Field the stream is partitioned by (empty: hash of the whole event).")
    var key = "user"

    @Option(help: "Replay rate, e.g. 50k/s, or max (as fast as the cluster acknowledges).")
    var rate = "50k/s"

    @Option(help: "Copies of each partition's checkpoints (owner + standbys): 2 gives every partition a standby, 3 two (an owner and a standby may fail together), 1 makes a new owner fetch the state from the old one when it comes back (cold restore).")
    var replication = 2

    @Option(name: .customLong("lease-ttl"), help: "Lease TTL of the cluster (a pause longer than this moves partitions).")
    var leaseTTL = "2s"

    @Option(name: .customLong("checkpoint-interval"), help: "Checkpoint interval of the workers.")
    var checkpointInterval = "1s"

    @Option(help: "The workers' retention of final windows, e.g. 2m (default: theirs, 1h). Windows they may have dropped by the end are left out of the comparison; the report says from where it compared.")
    var retention: String?

    @Option(name: .customLong("segment-size"), help: "The coordinator's partition log segment size, e.g. 4m (default: its own, 64m); smaller segments are truncated sooner behind committed checkpoints.")
    var segmentSize: String?

    @Option(name: .customLong("data-dir"), help: "Where the cluster keeps its data and logs (default: a new temporary directory).")
    var dataDir: String?

    @Option(name: .customLong("report"), help: "Also write the report as JSON to this file.")
    var reportPath: String?

    @Flag(help: "Keep the data directory even when the run passes.")
    var keep = false

    func run() async throws {
        var settings = VerifyRun.Settings(recording: recording)
        settings.jobs = jobs
        settings.chaos = chaos
        settings.failpoints = failpoints
        settings.crashCoordinator = crashCoordinator
        settings.seed = seed
        settings.workers = workers
        settings.partitions = partitions
        settings.key = key
        settings.rate = rate
        settings.replication = replication
        settings.leaseTTL = leaseTTL
        settings.checkpointInterval = checkpointInterval
        settings.retention = retention
        settings.segmentSize = segmentSize
        settings.dataDir = dataDir
        settings.reportPath = reportPath
        settings.keep = keep
        guard try await VerifyRun(settings).run() else { throw ExitCode(1) }
    }
}
