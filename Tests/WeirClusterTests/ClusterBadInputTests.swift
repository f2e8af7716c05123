import Foundation
import Testing

/// Bad input at every door gets a clear answer and harms nothing else.
extension ClusterTests { @Suite struct BadInput {
    @Test func badInputIsAnsweredWithWhatAndWhere_andTheClusterKeepsWorking() async throws {
        let h = ClusterHarness(name: "bad-input")
        defer { h.shutdown() }
        try await h.startCoordinator(extra: ["--max-body", "64k"])
        try h.startWorker("w1")
        let submit = try h.weir(["submit", "jobs/clicks-per-page.yaml", "--http", h.http])
        #expect(submit.status == 0, "\(submit.stderr)")

        // Malformed lines are answered per line with a reason; the valid ones are kept.
        let body = """
        {"ts":1767225600000,"user":"u1","page":"p1","country":"US","latency_ms":10,"bytes":100}
        {"ts":1767225600001,"user":"u2","page":
        [1,2,3]
        {"ts":1767225600002,"user":"u3","page":"p2","country":"US","latency_ms":20,"bytes":200}

        """
        let ingest = try await h.json("POST", "/v1/streams/clicks/events", body: Data(body.utf8))
        #expect(ingest.status == 200)
        #expect(ingest.object["accepted"] as? Int == 2 && ingest.object["rejected"] as? Int == 2)
        let problems = ingest.object["problems"] as? [[String: Any]] ?? []
        #expect(problems.map { $0["line"] as? Int } == [2, 3])
        #expect(problems.map { $0["reason"] as? String } == ["invalid_json", "not_an_object"])

        // Unknown stream, oversized body, unknown job, bad query parameters, bad job spec.
        let unknownStream = try await h.json("POST", "/v1/streams/nope/events", body: Data("{}\n".utf8))
        #expect(unknownStream.status == 404 && Self.code(unknownStream.object) == "unknown_stream")
        let huge = Data(repeating: UInt8(ascii: " "), count: 200_000)
        let tooLarge = try await h.json("POST", "/v1/streams/clicks/events", body: huge)
        #expect(tooLarge.status == 413 && Self.code(tooLarge.object) == "body_too_large")
        let unknownPath = try await h.json("GET", "/v2/nothing")
        #expect(unknownPath.status == 404 && Self.code(unknownPath.object) == "not_found")
        let unknownJob = try await h.json("GET", "/v1/jobs/nope/rollups")
        #expect(unknownJob.status == 404 && Self.code(unknownJob.object) == "unknown_job")
        for bad in ["from=yesterday", "top=0", "by=views", "where=country=US", "frm=1", "last=soon", "from=5&to=1"] {
            let r = try await h.json("GET", "/v1/jobs/clicks-per-page/rollups?\(bad)")
            #expect(r.status == 400, "\(bad) → \(r.status)")
            #expect(!(Self.message(r.object) ?? "").isEmpty, "\(bad) has a message")
        }
        let badSpec = try await h.json("POST", "/v1/jobs", body: Data("name: x\nstream: clicks\nwindow: {type: tumbling}\n".utf8))
        #expect(badSpec.status == 400 && Self.code(badSpec.object) == "bad_job_spec")
        let cli = try h.weir(["query", "nope", "--http", h.http])
        #expect(cli.status == 1 && cli.stderr.contains("no job named nope"))

        // Malformed protocol frames: the connection is closed, the coordinator lives on.
        for garbage in [Array("GET / HTTP/1.1\r\n\r\n".utf8), [0xFF, 0xFF, 0xFF, 0x7F, 1, 2], [6, 0, 0, 0, 1, 99, 0, 0, 0, 0]] {
            try Self.sendRaw(garbage, port: h.wirePort)
        }
        #expect(h.coordinator?.isRunning == true)
        #expect(h.log("coordinator.log").contains("closed"))

        // The valid events are still there and counted.
        try await h.waitUntilCaughtUp()
        let rollups = try await h.json("GET", "/v1/jobs/clicks-per-page/rollups")
        #expect(rollups.status == 200)
        #expect((rollups.object["events"] as? [String: Any])?["accepted"] as? Int == 2)
    }

    /// `weir replay` reads through the same bounded line reader as `weir run`: blank lines are
    /// skipped, a line over 1 MiB (even a decompression bomb's single line) is refused without
    /// being held in memory, a file that is not events says what it is, and a replay whose
    /// every line is rejected fails.
    @Test func replayReadsBoundedLines_andSaysWhatAFileIs() async throws {
        let h = ClusterHarness(name: "replay-files")
        defer { h.shutdown() }
        try await h.startCoordinator()
        try h.startWorker("w1")
        func replay(_ file: String, stream: Bool = true) throws -> (status: Int32, stdout: String, stderr: String) {
            try h.weir(["replay", file, "--coordinator", "127.0.0.1:\(h.wirePort)"] + (stream ? ["--stream", "clicks"] : []))
        }
        func write(_ name: String, _ bytes: [UInt8]) throws -> String {
            let path = h.dir + "/" + name
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            return path
        }
        let event = #"{"ts":1767225600000,"user":"u1","page":"p1"}"#
        let blank = try write("blank.jsonl", Array("\(event)\n\n\(event)\n   \n\(event)\n".utf8))
        let ok = try replay(blank)
        #expect(ok.status == 0 && ok.stdout.contains("sent 3, accepted 3, rejected 0"), "\(ok.stdout)\(ok.stderr)")

        // One line of 3 MB of zeros between two events, compressed to a few kB.
        let bombText = Array("\(event)\n".utf8) + [UInt8](repeating: UInt8(ascii: "0"), count: 3_000_000) + Array("\n\(event)\n".utf8)
        let plainBomb = try write("bomb.jsonl", bombText)
        let bomb = h.dir + "/bomb.zst"
        let zstd = Process()
        zstd.executableURL = URL(fileURLWithPath: "/usr/bin/zstd")
        zstd.arguments = ["-q", "-f", plainBomb, "-o", bomb]
        try zstd.run()
        zstd.waitUntilExit()
        let refused = try replay(bomb)
        #expect(refused.status == 0 && refused.stdout.contains("sent 2, accepted 2, rejected 0, refused here 1"), "\(refused.stdout)")
        #expect(refused.stderr.contains("line 2 (byte \(event.utf8.count + 1)): line_too_long"), "\(refused.stderr)")

        let text = try write("notes.txt", Array("# Notes\nnot events\n".utf8))
        let notEvents = try replay(text)
        #expect(notEvents.status == 1 && notEvents.stderr.contains("does not look like NDJSON events: line 1 starts with \"# Notes\""), "\(notEvents.stderr)")
        let random = try write("random.zst", (0..<4_096).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) })
        let notZstd = try replay(random, stream: false)
        #expect(notZstd.status == 1 && notZstd.stderr.contains("is named .zst but is not zstd"), "\(notZstd.stderr)")
        let unnamed = try replay(blank, stream: false)
        #expect(unnamed.status == 1 && unnamed.stderr.contains("--stream is needed") && unnamed.stderr.contains("plain NDJSON"), "\(unnamed.stderr)")

        let allBad = try write("bad.jsonl", Array("{\"ts\":1\nnot json\n".utf8))
        let rejected = try replay(allBad)
        #expect(rejected.status == 1 && rejected.stderr.contains("no event of \(allBad) was accepted (2 rejected"), "\(rejected.stderr)")
    }

    static func code(_ o: [String: Any]) -> String? { (o["error"] as? [String: Any])?["code"] as? String }
    static func message(_ o: [String: Any]) -> String? { (o["error"] as? [String: Any])?["message"] as? String }

    /// Connects to the wire port, writes bytes, waits for the coordinator to close the connection.
    static func sendRaw(_ bytes: [UInt8], port: Int) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(fd >= 0)
        defer { close(fd) }
        let connected = connectLoopback(fd, port: port)
        #expect(connected == 0)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 4096)
        var n = 1
        while n > 0 { n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) } }
        #expect(n == 0, "the coordinator closed the connection (read returned \(n))")
    }
}
}
