import Foundation
import Testing
import WeirTestSupport

/// The `weir` executable, started as a real process: exit codes and the one-line errors users see.
@Suite struct CLITests {
    static let root = WeirExecutable.root
    static let dir = TestScratch.directory("weir-cli")

    typealias Result = WeirExecutable.Outcome

    /// Runs `weir` (built by `swift test` next to the test bundle) with `arguments`.
    func weir(_ arguments: [String]) throws -> Result {
        try WeirExecutable.run(arguments)
    }

    func writeFile(_ name: String, _ text: String) -> String {
        let path = Self.dir + "/" + name
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }

    @Test func versionAndInspectSpeakToPeople() throws {
        let version = try weir(["--version"])
        #expect(version.status == 0 && version.stdout.contains("wire protocol 5"), "\(version.stdout)\(version.stderr)")
        let rec = Self.dir + "/inspect.zst"
        #expect(try weir(["gen", "--events", "2k", "--seed", "5", "--out", rec]).status == 0)
        let inspect = try weir(["inspect", rec, "--frames"])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        // Times as ISO-8601 with the epoch milliseconds beside them.
        let line = try #require(inspect.stdout.split(separator: "\n").first { $0.hasPrefix("event time: ") })
        #expect(line.range(of: #"^event time: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \(\d{13}\) … \d{4}-\d\d-\d\dT.*Z \(\d{13}\)$"#,
                                options: .regularExpression) != nil, "\(line)")
    }

    @Test func genThenRunMatchesTheReferenceForTheMainJob() throws {
        let rec = Self.dir + "/clicks.zst"
        let gen = try weir(["gen", "--events", "30k", "--seed", "3", "--out", rec])
        #expect(gen.status == 0, "\(gen.stderr)")
        #expect(gen.stderr.contains("wrote 30000 events"))
        let engine = try weir(["run", "jobs/clicks-per-page.yaml", "--input", rec, "--threads", "2"])
        let reference = try weir(["run", "jobs/clicks-per-page.yaml", "--input", rec, "--reference"])
        #expect(engine.status == 0 && reference.status == 0, "\(engine.stderr)\(reference.stderr)")
        #expect(engine.stdout.hasPrefix("window_start,window_end,page,views,total_bytes,min_latency_ms,max_latency_ms,avg_latency_ms\n"))
        #expect(engine.stdout == reference.stdout)
        #expect(engine.stderr.contains("engine: 30000 events"))
        let json = try weir(["run", "jobs/hot-pages.yaml", "--input", rec, "--format", "ndjson"])
        let first = try #require(json.stdout.split(separator: "\n").first)
        let object = try JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: Any]
        #expect(object?["views"] as? Int != nil)
        #expect(object?["final"] as? Bool == true)
    }

    @Test func badSpecsFailWithTheFieldPath() throws {
        let spec = writeFile("bad.yaml", "name: x\nstream: clicks\ntime: ts\nwindow: {type: tumbling, size: 10x}\naggregates: [{as: n, fn: count}]\n")
        let r = try weir(["run", spec, "--input", "/dev/null"])
        #expect(r.status == 1)
        #expect(r.stderr == "weir: \(spec): window.size: \"10x\" is not a duration (write e.g. 500ms, 10s, 5m, 1h) (line 4)\n")
        let v = try weir(["validate", spec, "jobs/clicks-per-page.yaml"])
        #expect(v.status == 1)
        #expect(v.stdout.contains("jobs/clicks-per-page.yaml: ok"))
        let missing = try weir(["validate", Self.dir + "/none.yaml"])
        #expect(missing.stderr.contains("cannot read job spec"))
    }

    @Test func badInputsAndFlagsFailWithOneClearLine() throws {
        let missing = try weir(["run", "jobs/clicks-per-page.yaml", "--input", Self.dir + "/nope.zst"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("nope.zst: cannot open: No such file or directory"))
        let corrupt = writeFile("corrupt.zst", "\u{28}\u{B5}\u{2F}garbage that is not zstd")
        var bytes = [UInt8](repeating: 0x41, count: 64)
        bytes[0...3] = [0x28, 0xB5, 0x2F, 0xFD]
        _ = FileManager.default.createFile(atPath: corrupt, contents: Data(bytes))
        let c = try weir(["run", "jobs/clicks-per-page.yaml", "--input", corrupt])
        #expect(c.status == 1)
        #expect(c.stderr.contains("at byte 0: corrupt zstd data"))
        let format = try weir(["run", "jobs/clicks-per-page.yaml", "--input", corrupt, "--format", "xml"])
        #expect(format.stderr == "weir: --format \"xml\" is not csv or ndjson\n")
        let threads = try weir(["run", "jobs/clicks-per-page.yaml", "--input", corrupt, "--threads", "0"])
        #expect(threads.stderr == "weir: --threads 0 must be between 1 and 64\n")
        let rec = Self.dir + "/small.zst"
        _ = try weir(["gen", "--events", "5k", "--out", rec])
        for threads in ["1", "2"] {
            let full = try weir(["run", "jobs/clicks-per-page.yaml", "--input", rec, "--output", "/dev/full", "--threads", threads])
            #expect(full.status == 1)
            #expect(full.stderr.contains("/dev/full: write failed: No space left on device"), "\(full.stderr)")
        }
        let events = try weir(["gen", "--events", "lots", "--out", Self.dir + "/x.zst"])
        #expect(events.stderr.contains("--events \"lots\" is not a positive count"))
    }

    @Test func badEventsAreCountedAndMaxBadStopsTheRun() throws {
        let input = writeFile("mixed.jsonl", """
            {"ts":1767225600000,"page":"p1","bytes":10,"latency_ms":5}
            {"ts":1767225600001,"page":"p1","bytes":"ten","latency_ms":5}
            not json
            {"ts":1767225600002,"page":"p2","bytes":30,"latency_ms":7}

            """)
        let ok = try weir(["run", "jobs/clicks-per-page.yaml", "--input", input, "--dead-letter", Self.dir + "/dead.jsonl"])
        #expect(ok.status == 0)
        #expect(ok.stderr.contains("bad by reason: invalid_json 1, wrong_type 1"))
        #expect(ok.stdout.contains("1767225600000,1767225610000,p1,1,10,5,5,5"))
        let dead = try String(contentsOfFile: Self.dir + "/dead.jsonl", encoding: .utf8)
        #expect(dead.split(separator: "\n").count == 2)
        let strict = try weir(["run", "jobs/clicks-per-page.yaml", "--input", input, "--max-bad", "1"])
        #expect(strict.status == 1)
        #expect(strict.stderr.contains("more than 1 bad events (--max-bad 1); the last was"))
        #expect(strict.stderr.contains("line 3 (byte 121): invalid_json: column 1: expected '{'"))
    }
}
