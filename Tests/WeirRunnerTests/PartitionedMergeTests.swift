import Foundation
import Testing
import WeirCodec
@testable import WeirCore
import WeirReference

/// Partitioning a stream by key, running one engine per partition and merging their partial
/// aggregates must give exactly the rows the reference computes over the whole stream.
@Suite struct PartitionedMergeTests {
    static let sampleJobs = ["clicks-per-page", "country-activity", "hot-pages", "user-sessions"]

    static func lines(events: Int, seed: UInt64) -> [[UInt8]] {
        var settings = ClickWorkload.Settings()
        settings.events = events
        settings.seed = seed
        settings.users = 2_000
        settings.pages = 300
        return lines(settings)
    }

    /// The workload's events, one line each.
    static func lines(_ settings: ClickWorkload.Settings) -> [[UInt8]] {
        let events = settings.events
        var workload = ClickWorkload(settings)
        var out: [[UInt8]] = []
        var line: [UInt8] = []
        for _ in 0..<events {
            line.removeAll(keepingCapacity: true)
            _ = workload.next(into: &line)
            out.append(line)
        }
        return out
    }

    static func spec(_ name: String) throws -> JobSpec {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("jobs/\(name).yaml"), encoding: .utf8)
        return try JobSpecParser.parse(text)
    }

    @Test(arguments: sampleJobs, [1, 4, 7])
    func partitionedEnginesMergeToTheReference(job: String, partitions: Int) throws {
        let spec = try Self.spec(job)
        let events = Self.lines(events: 20_000, seed: 11)
        let router = EventRouter(keyField: "user", partitioner: Partitioner(partitionCount: partitions))
        let compiled = CompiledJob(spec)
        let engines = (0..<partitions).map { _ in JobEngine(compiled, output: .partials) }
        let scanners = (0..<partitions).map { _ in EventScanner(plan: compiled.plan) }
        var kept: [[PartialRow]] = Array(repeating: [], count: partitions)
        var midQuery: [RollupRow] = []
        let reference = ReferenceEngine(spec: spec)
        for (i, line) in events.enumerated() {
            reference.process(line: line)
            line.withUnsafeBytes { bytes in
                guard case .success(let p) = router.route(bytes) else { Issue.record("valid line refused"); return }
                #expect(scanners[p].scan(bytes) == nil)
                _ = engines[p].process(scanners[p].fields)
                kept[p] += engines[p].drainPartials()
            }
            if i == events.count / 2 {
                // A live query: final partials kept so far plus the open windows' partials.
                let merger = RollupMerger(spec: spec)
                for p in 0..<partitions {
                    for row in kept[p] + engines[p].openPartials() { try merger.add(row, partition: p) }
                }
                midQuery = merger.rows { _ in false }
            }
        }
        let merger = RollupMerger(spec: spec)
        for p in 0..<partitions {
            engines[p].finish()
            for row in kept[p] + engines[p].drainPartials() { try merger.add(row, partition: p) }
        }
        let merged = merger.rows { _ in false }
        let expected = reference.finish()
        #expect(merged.count == expected.count)
        let strip = { (rows: [RollupRow]) in rows.map { RollupRow(window: $0.window, group: $0.group, cells: $0.cells, isFinal: false) } }
        #expect(strip(merged) == strip(expected), "\(job) over \(partitions) partitions")
        // The live query saw a prefix: every window it reported final-or-not exists at the end.
        #expect(!midQuery.isEmpty)
    }

    /// A top-n answer ranks each window's rows without sorting every merged row first; it must
    /// equal the plain way: the whole answer in canonical order, each window's rows stably sorted
    /// by the column, highest first, cut to n. The count columns have many ties.
    @Test(arguments: sampleJobs)
    func topNAnswersEqualSortingEveryRowThenCutting(job: String) throws {
        let spec = try Self.spec(job)
        let partitions = 4
        let router = EventRouter(keyField: "user", partitioner: Partitioner(partitionCount: partitions))
        let compiled = CompiledJob(spec)
        let engines = (0..<partitions).map { _ in JobEngine(compiled, output: .partials) }
        let scanners = (0..<partitions).map { _ in EventScanner(plan: compiled.plan) }
        var kept: [[PartialRow]] = Array(repeating: [], count: partitions)
        for line in Self.lines(events: 20_000, seed: 5) {
            line.withUnsafeBytes { bytes in
                guard case .success(let p) = router.route(bytes), scanners[p].scan(bytes) == nil else { return }
                _ = engines[p].process(scanners[p].fields)
                kept[p] += engines[p].drainPartials()
            }
        }
        let reports = (0..<partitions).map { p in
            PartitionReport(lease: LeaseRef(partition: p, epoch: 1), watermark: engines[p].watermark, offset: 0, accepted: 0,
                            lateEvents: 0, rejected: 0, lateByWindow: [], rows: kept[p] + engines[p].openPartials())
        }
        let whole = try RollupAnswerBuilder.build(spec: spec, query: RollupQuery(), reports: reports, partitionCount: partitions)
        #expect(whole.windows.reduce(0) { $0 + $1.rows.count } > (job == "hot-pages" ? 1 : 100))
        let columns = spec.aggregates.flatMap(\.outputColumns)
        for by in columns {
            let column = columns.firstIndex(of: by) ?? 0
            for top in [1, 3, 10, 1_000] {
                let answer = try RollupAnswerBuilder.build(spec: spec, query: RollupQuery(top: top, by: by), reports: reports, partitionCount: partitions)
                let expected = whole.windows.map { w in
                    w.rows.enumerated().sorted { a, b in
                        let x = a.element.cells[column].rankValue, y = b.element.cells[column].rankValue
                        return x != y ? x > y : a.offset < b.offset
                    }.prefix(top).map(\.element)
                }
                #expect(answer.windows.map(\.window) == whole.windows.map(\.window))
                #expect(answer.windows.map(\.rows) == expected, "\(job) top \(top) by \(by)")
                #expect(answer.windows.map(\.groupCount) == whole.windows.map(\.groupCount))
                #expect(answer.windows.map(\.totals) == whole.windows.map(\.totals))
            }
        }
    }

    @Test func mergerRefusesPartialsOfAnotherShape() throws {
        let spec = try Self.spec("country-activity")
        let merger = RollupMerger(spec: spec)
        let window = Window(start: 0, end: 60_000)
        #expect(throws: RollupMerger.MergeError.self) {
            try merger.add(PartialRow(window: window, group: [.string("US")], states: [.count(1)], isFinal: true), partition: 0)
        }
        #expect(throws: RollupMerger.MergeError.self) {
            try merger.add(PartialRow(window: window, group: [.string("US")],
                                      states: [.count(1), .count(2), .count(3)], isFinal: true), partition: 0)
        }
    }
}
