import Foundation
import Testing

/// Every test that starts real processes, one at a time: each runs a coordinator and several
/// workers, and the machine has two cores.
@Suite(.serialized) enum ClusterTests {}

/// A real coordinator and real workers on loopback: replayed recordings must give exactly the
/// rollups of `weir run --reference`, also when a worker is paused past its lease, joins or
/// leaves mid-replay.
extension ClusterTests { @Suite struct Integration {
    static let jobs = ["clicks-per-page", "country-activity", "hot-pages", "user-sessions"]

    /// A generated recording and the reference CSV of each sample job over it.
    static func fixture(_ h: ClusterHarness, events: String, seed: Int) throws -> (recording: String, reference: [String: String]) {
        let recording = h.dir + "/rec.zst"
        let gen = try h.weir(["gen", "--events", events, "--seed", String(seed), "--out", recording])
        #expect(gen.status == 0, "\(gen.stderr)")
        var reference: [String: String] = [:]
        for job in jobs {
            let out = h.dir + "/\(job)-reference.csv"
            let run = try h.weir(["run", "jobs/\(job).yaml", "--input", recording, "--reference", "--output", out])
            #expect(run.status == 0, "\(run.stderr)")
            reference[job] = try String(contentsOfFile: out, encoding: .utf8)
        }
        return (recording, reference)
    }

    static func expectRollupsEqualReference(_ h: ClusterHarness, _ reference: [String: String]) async throws {
        // Twice: the first answer keeps the final windows at the coordinator, the second is built
        // from them (the workers leave those rows out), and both must equal the reference.
        for job in jobs + jobs {
            let cluster = try await h.caughtUpCSV(job: job)
            try? cluster.write(toFile: h.dir + "/\(job)-cluster.csv", atomically: true, encoding: .utf8)
            let expected = reference[job] ?? ""
            #expect(cluster.split(separator: "\n").count == expected.split(separator: "\n").count, "\(job): row count; logs in \(h.dir)")
            #expect(cluster == expected, "\(job): cluster rollups differ from the reference; logs in \(h.dir)")
        }
    }

    static func submitSampleJobs(_ h: ClusterHarness) throws {
        for job in jobs {
            let r = try h.weir(["submit", "jobs/\(job).yaml", "--http", h.http])
            #expect(r.status == 0, "\(r.stderr)")
        }
    }

    @Test func replayThroughTwoWorkersEqualsTheReference() async throws {
        let h = ClusterHarness(name: "replay")
        defer { h.shutdown() }
        let (recording, reference) = try Self.fixture(h, events: "200k", seed: 21)
        try await h.startCoordinator()
        try h.startWorker("w1")
        try h.startWorker("w2")
        try Self.submitSampleJobs(h)
        let replay = try h.weir(["replay", recording, "--stream", "clicks", "--coordinator", "127.0.0.1:\(h.wirePort)"])
        #expect(replay.status == 0, "\(replay.stderr)")
        #expect(replay.stdout.contains("sent 200000, accepted 200000, rejected 0"), "\(replay.stdout)")
        try await Self.expectRollupsEqualReference(h, reference)
        let holders = try await h.holders()
        #expect(Set(holders.values) == ["w1", "w2"], "both workers hold partitions: \(holders)")
    }

    /// `--log-compression zstd`: the partition logs hold zstd frames, a fraction of the events'
    /// bytes, and the workers' rollups are exactly the reference's.
    @Test func aCompressedPartitionLogGivesTheSameRollups() async throws {
        let h = ClusterHarness(name: "log-zstd")
        defer { h.shutdown() }
        let (recording, reference) = try Self.fixture(h, events: "100k", seed: 23)
        try await h.startCoordinator(extra: ["--log-compression", "zstd"])
        try h.startWorker("w1")
        try h.startWorker("w2")
        try Self.submitSampleJobs(h)
        let replay = try h.weir(["replay", recording, "--stream", "clicks", "--coordinator", "127.0.0.1:\(h.wirePort)"])
        #expect(replay.status == 0, "\(replay.stderr)")
        try await Self.expectRollupsEqualReference(h, reference)
        var logBytes = 0, segments = 0, compressed = 0
        let logRoot = h.dir + "/coordinator/log/clicks"
        for partition in try FileManager.default.contentsOfDirectory(atPath: logRoot) {
            for name in try FileManager.default.contentsOfDirectory(atPath: logRoot + "/" + partition) where name.hasSuffix(".seg") {
                let bytes = try Data(contentsOf: URL(fileURLWithPath: logRoot + "/" + partition + "/" + name))
                logBytes += bytes.count
                segments += 1
                // The replay is an idempotent producer: a segment starts with its batch's producer mark (24 + 20 bytes).
                let events = bytes.prefix(4) == Data("WLP1".utf8) ? bytes.dropFirst(44) : bytes[...]
                if events.prefix(4) == Data("WLZ1".utf8) { compressed += 1 }
            }
        }
        #expect(segments > 0 && compressed == segments, "\(compressed) of \(segments) segments start with a compressed frame")
        // The generator's events are ~95 bytes as NDJSON; level-1 zstd takes them to ~20.
        #expect(logBytes < 100_000 * 40, "\(logBytes) bytes of log for 100k events")
    }
}
}
