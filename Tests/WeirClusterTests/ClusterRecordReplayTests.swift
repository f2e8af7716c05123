import Foundation
import Testing

/// `weir record`, `weir replay --latency --verify`, and paths kept under their root.
extension ClusterTests { @Suite struct RecordReplay {
    /// The event lines of a recording, decompressed by the zstd command line tool (a recording is
    /// zstd frames of NDJSON plus an index in skippable frames, which `zstd -d` leaves out).
    static func lines(_ path: String) throws -> [String] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/zstd")
        p.arguments = ["-dcq", path]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init).filter { $0.hasPrefix("{") }
    }

    @Test func recordTapsTheLiveStream_andReplayReportsLatencyAndVerifies() async throws {
        let h = ClusterHarness(name: "record")
        defer { h.shutdown() }
        try await h.startCoordinator()
        try h.startWorker("w1")
        try h.startWorker("w2")
        for job in ["clicks-per-page", "country-activity"] {
            #expect(try h.weir(["submit", "jobs/\(job).yaml", "--http", h.http]).status == 0)
        }
        let source = h.dir + "/source.zst", tapped = h.dir + "/tapped.zst"
        #expect(try h.weir(["gen", "--events", "30k", "--out", source]).status == 0)
        let recorder = try h.spawn(["record", "--stream", "clicks", "--out", tapped, "--events", "30000", "--http", h.http], log: "record.log")
        try await h.waitFor("the recorder to start", seconds: 30) { h.log("record.log").contains("recording stream clicks") }
        let replay = try h.weir(["replay", source, "--coordinator", "127.0.0.1:\(h.wirePort)", "--http", h.http, "--rate", "20k/s", "--latency", "--verify"])
        #expect(replay.status == 0, "\(replay.stdout)\n\(replay.stderr)")
        #expect(replay.stdout.contains("send → visible in rollups (ms,"), "\(replay.stdout)")
        #expect(replay.stdout.contains("verify clicks-per-page: PASS") && replay.stdout.contains("verify country-activity: PASS"), "\(replay.stdout)")
        try await h.waitFor("the recorder to stop after 30,000 events", seconds: 60) { !recorder.isRunning }
        #expect(recorder.terminationStatus == 0, "\(h.log("record.log"))")
        #expect(h.log("record.log").contains("recorded 30000 events of clicks"))
        // The same events (each partition's order kept; partitions interleave differently).
        let sent = try Self.lines(source), got = try Self.lines(tapped)
        #expect(got.count == 30_000 && got.sorted() == sent.sorted())
        // The tapped recording is a recording like any other: replay reads it.
        let check = try h.weir(["inspect", tapped])
        #expect(check.status == 0, "\(check.stderr)")
    }

    @Test func replayAndRecordPathsCannotEscapeTheirRoot() throws {
        let h = ClusterHarness(name: "paths")
        defer { h.shutdown() }
        let root = h.dir + "/recordings"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        #expect(try h.weir(["gen", "--events", "1k", "--out", root + "/ok.zst"]).status == 0)
        try FileManager.default.createSymbolicLink(atPath: root + "/sneaky.zst", withDestinationPath: "/etc/passwd")
        for path in ["../../etc/passwd", "/etc/passwd", "sneaky.zst", "sub/../../outside.zst"] {
            let r = try h.weir(["replay", path, "--root", root, "--coordinator", "127.0.0.1:1"])
            #expect(r.status == 1 && r.stderr.contains("outside the recordings root"), "\(path): \(r.stderr)")
            let w = try h.weir(["record", "--stream", "clicks", "--out", path, "--root", root, "--http", "127.0.0.1:1"])
            #expect(w.status == 1 && w.stderr.contains("outside the recordings root"), "\(path): \(w.stderr)")
        }
        // Inside the root it gets past the path check (and fails on the missing coordinator).
        let inside = try h.weir(["replay", "ok.zst", "--root", root, "--coordinator", "127.0.0.1:1"])
        #expect(inside.status == 1 && inside.stderr.contains("cannot reach the coordinator at 127.0.0.1:1"), "\(inside.stderr)")
    }
} }
