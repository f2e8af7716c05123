import Foundation
import Testing
import WeirCodec
import WeirCore
import WeirTestSupport
@testable import WeirRunner

/// The engine must produce exactly what the naive reference computes, on random jobs over
/// random streams (late, out-of-order and malformed events included), for many seeds.
@Suite struct EngineMatchesReferenceTests {
    static let dir = TestScratch.directory("weir-runner")

    func writeNDJSON(_ lines: [[UInt8]], name: String) -> String {
        let path = Self.dir + "/\(name).jsonl"
        var data = Data()
        for l in lines { data.append(contentsOf: l); data.append(10) }
        FileManager.default.createFile(atPath: path, contents: data)
        return path
    }

    struct Outcome {
        var report: JobRun.Report
        var rows: [RollupRow]
        var stats: EngineStats { report.stats }
        var lateLedger: LateLedger { report.lateLedger }
        var watermark: Int64 { report.watermark }
    }

    func run(_ spec: JobSpec, _ path: String, reference: Bool, threads: Int = 1, deadLetter: String? = nil,
             rowsInMemoryMax: Int = 500_000) throws -> Outcome {
        var settings = JobRun.Settings(spec: spec, inputPath: path)
        settings.rowsInMemoryMax = rowsInMemoryMax
        settings.useReference = reference
        settings.threads = threads
        settings.deadLetterPath = deadLetter
        let collector = RollupCollector()
        let report = try JobRun(settings).run(sink: collector)
        #expect(report.rowCount == collector.rows.count)
        // Rows arrive in canonical order even though they are written while the run goes on.
        #expect(zip(collector.rows, collector.rows.dropFirst()).allSatisfy { !RollupRow.canonicallyPrecedes($1, $0) })
        return Outcome(report: report, rows: collector.rows)
    }

    @Test(arguments: 0..<40)
    func randomJobsMatchTheReferenceExactly(seed: Int) throws {
        var w = RandomWorkload(seed: UInt64(seed) &* 7919 &+ 17)
        let yaml = w.jobYAML()
        let spec = try JobSpecParser.parse(yaml)
        let (lines, bad) = w.events(1500 + w.rng.below(2500))
        let path = writeNDJSON(lines, name: "seed-\(seed)")
        let engine = try run(spec, path, reference: false)
        let reference = try run(spec, path, reference: true)
        let pipelined = try run(spec, path, reference: false, threads: 2, deadLetter: Self.dir + "/dead-\(seed).jsonl",
                                rowsInMemoryMax: 1 + seed % 50)  // spills to disk and merges back
        let context = "seed \(seed)\n\(yaml)"
        #expect(pipelined.rows == engine.rows, "\(context)")
        #expect(pipelined.stats == engine.stats, "\(context)")
        let deadLetters = try String(contentsOfFile: Self.dir + "/dead-\(seed).jsonl", encoding: .utf8).split(separator: "\n").count
        #expect(Int64(deadLetters) == engine.stats.rejected + engine.stats.late, "\(context)")
        #expect(engine.rows.count == reference.rows.count, "\(context)")
        for (a, b) in zip(engine.rows, reference.rows) where a != b {
            Issue.record("first difference, seed \(seed):\nengine    \(RollupWriter.csvLine(a)) final=\(a.isFinal)\nreference \(RollupWriter.csvLine(b)) final=\(b.isFinal)\n\(yaml)")
            break
        }
        #expect(engine.stats.events == reference.stats.events, "\(context)")
        #expect(engine.stats.accepted == reference.stats.accepted, "\(context)")
        #expect(engine.stats.filtered == reference.stats.filtered, "\(context)")
        #expect(engine.stats.late == reference.stats.late, "\(context)")
        #expect(engine.stats.partiallyLate == reference.stats.partiallyLate, "\(context)")
        #expect(engine.stats.rejectedByReason == reference.stats.rejectedByReason, "\(context)")
        #expect(engine.lateLedger == reference.lateLedger, "\(context)")
        #expect(engine.watermark == reference.watermark, "\(context)")
        // Every injected line that no job can read is rejected.
        #expect(engine.stats.rejected >= Int64(bad), "\(context)")
        #expect(!engine.rows.isEmpty, "\(context)")
    }

    @Test func sampleJobsMatchTheReferenceOnTheCanonicalWorkload() throws {
        var settings = ClickWorkload.Settings()
        settings.events = 20_000
        settings.lateFraction = 0.002
        settings.seed = 42
        let path = Self.dir + "/clicks.zst"
        _ = try GenerateRecording.run(settings, path: path, frameBytesTarget: 256 << 10)
        let jobs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../jobs")
        for name in ["clicks-per-page", "country-activity", "user-sessions", "hot-pages"] {
            let spec = try JobSpecParser.parse(String(contentsOf: jobs.appendingPathComponent("\(name).yaml"), encoding: .utf8))
            let engine = try run(spec, path, reference: false)
            let parallel = try run(spec, path, reference: false, threads: 3)
            let reference = try run(spec, path, reference: true)
            let csv = { (r: Outcome) in String(decoding: RollupWriter.render(r.rows, spec: spec, format: .csv), as: UTF8.self) }
            #expect(csv(engine) == csv(reference), "\(name)")
            #expect(csv(parallel) == csv(engine), "\(name)")
            #expect(engine.stats.late > 0 || name == "user-sessions", "\(name): the workload has late events")
            #expect(engine.stats.accepted + engine.stats.late == 20_000, "\(name)")
        }
    }

    @Test func deadLetterFileHoldsEveryBadAndLateEventWithItsReason() throws {
        let spec = try JobSpecParser.parse("""
            name: dl
            stream: test
            time: ts
            window: {type: tumbling, size: 10ms}
            aggregates: [{as: total, fn: sum, field: v}]
            """)
        let lines = [
            #"{"ts":100,"v":1}"#, #"{"ts":"x"}"#, #"{"ts":200,"v":2}"#, #"{"ts":105,"v":5}"#, "{oops", #"{"ts":201,"v":"seven"}"#,
        ].map { Array($0.utf8) }
        let path = writeNDJSON(lines, name: "dl")
        let deadLetter = Self.dir + "/dl-dead-letter.jsonl"
        let report = try run(spec, path, reference: false, deadLetter: deadLetter)
        let records = try String(contentsOfFile: deadLetter, encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:]
        }
        #expect(records.map { $0["reason"] as? String } == ["bad_time", "late", "invalid_json", "wrong_type"])
        #expect(records.map { $0["line"] as? Int } == [2, 4, 5, 6])
        #expect(records[1]["event"] as? String == #"{"ts":105,"v":5}"#)
        #expect((records[3]["message"] as? String)?.contains("field \"v\" is string; sum needs a number") == true)
        #expect(report.stats.late == 1)
        #expect(report.rows.map { RollupWriter.csvLine($0) } == ["100,110,1", "200,210,2"])
    }

    @Test func maxBadStopsTheRunWithTheLastBadLine() throws {
        let spec = try JobSpecParser.parse("name: mb\nstream: test\ntime: ts\nwindow: {type: tumbling, size: 1s}\naggregates: [{as: n, fn: count}]")
        let path = writeNDJSON([#"{"ts":1}"#, "x", "y", #"{"ts":2}"#, "z"].map { Array($0.utf8) }, name: "mb")
        var settings = JobRun.Settings(spec: spec, inputPath: path)
        settings.maxBad = 2
        #expect {
            _ = try JobRun(settings).run(sink: RollupCollector())
        } throws: { error in
            "\(error)".contains("more than 2 bad events") && "\(error)".contains("line 5 (byte 22)")
        }
    }
}
