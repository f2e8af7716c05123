import Foundation
import Testing
import WeirCodec
@testable import WeirCore
import WeirReference
import WeirTestSupport

/// Partitioning a stream by key, running one engine per partition and merging their partial
/// aggregates must give exactly the rows the reference computes over the whole stream.
@Suite struct PartitionedMergeTests {
    static let sampleJobs = SampleWorkload.jobs

    static func lines(events: Int, seed: UInt64) -> [[UInt8]] { SampleWorkload.lines(events: events, seed: seed) }

    static func spec(_ name: String) throws -> JobSpec { try SampleWorkload.spec(name) }

    /// A router by user and, per partition, an engine emitting partials and its scanner.
    static func partitionedEngines(_ spec: JobSpec, partitions: Int) -> (EventRouter, [JobEngine], [EventScanner]) {
        let compiled = CompiledJob(spec)
        return (EventRouter(keyField: "user", partitioner: Partitioner(partitionCount: partitions)),
                (0..<partitions).map { _ in JobEngine(compiled, output: .partials) },
                (0..<partitions).map { _ in EventScanner(plan: compiled.plan) })
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
        let (router, engines, scanners) = Self.partitionedEngines(spec, partitions: partitions)
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

    /// Queries that take final windows from a `FinalWindowCache` (their partitions leaving those
    /// rows out, as workers do) answer exactly what merging every partition's rows again answers,
    /// while the stream goes on: whole-range, `last` + top-n and `where` queries, asked between
    /// chunks of events. Windows do get kept, and the partitions then send fewer rows.
    @Test(arguments: sampleJobs)
    func answersWithKeptFinalWindowsEqualMergingEverything(job: String) throws {
        let spec = try Self.spec(job)
        let partitions = 4
        let (router, engines, scanners) = Self.partitionedEngines(spec, partitions: partitions)
        var finals: [[Int64: [PartialRow]]] = Array(repeating: [:], count: partitions)
        let queries = [RollupQuery(), RollupQuery(top: 3, lastMilliseconds: 60_000),
                       RollupQuery(filters: [(field: spec.groupBy.first ?? "", value: .string("US"))], lastMilliseconds: 30_000),
                       RollupQuery(from: 1_767_225_700_000, to: 1_767_226_000_000)]
        var caches: [FinalWindowCache?] = queries.map { _ in FinalWindowCache(spec: spec, rowLimit: 3_000) }
        var skippedRows = 0
        let events = Self.lines(events: 30_000, seed: 9)
        for (i, line) in events.enumerated() {
            line.withUnsafeBytes { bytes in
                guard case .success(let p) = router.route(bytes), scanners[p].scan(bytes) == nil else { return }
                _ = engines[p].process(scanners[p].fields)
                for row in engines[p].drainPartials() { finals[p][row.window.start, default: []].append(row) }
            }
            guard i % 3_000 == 2_999 else { continue }
            for (q, query) in queries.enumerated() {
                let all = (0..<partitions).map { p in
                    Self.report(engines[p], finals[p], partition: p, query: query, skip: 0..<0)
                }
                guard query.filters.isEmpty || spec.groupBy.first == "country" else { continue }
                let expected = try RollupAnswerBuilder.build(spec: spec, query: query, reports: all, partitionCount: partitions)
                let skip = caches[q]?.starts ?? 0..<0
                let fewer = (0..<partitions).map { p in Self.report(engines[p], finals[p], partition: p, query: query, skip: skip) }
                skippedRows += all.reduce(0) { $0 + $1.rows.count } - fewer.reduce(0) { $0 + $1.rows.count }
                let built = try RollupAnswerBuilder.build(spec: spec, query: query, reports: fewer, partitionCount: partitions, finals: caches[q])
                #expect(built.answer == expected, "\(job) query \(q) after \(i + 1) events")
                caches[q] = built.finals
            }
        }
        if case .session = spec.window {
            #expect(caches.allSatisfy { $0 == nil })
        } else {
            #expect(caches.contains { ($0?.rowCount ?? 0) > 0 }, "\(job): some final windows were kept")
            #expect(caches.allSatisfy { ($0?.rowCount ?? 0) <= 3_000 })
            #expect(skippedRows > 0, "\(job): partitions left kept windows out")
        }
    }

    /// A partition's report as `PartitionRunner.report` builds it: final rows (less those
    /// skipped) and open rows of windows starting in the range, with `last` measured from the
    /// partition's own newest window, and where its rows are complete from.
    static func report(_ engine: JobEngine, _ finals: [Int64: [PartialRow]], partition: Int, query: RollupQuery,
                       skip: Range<Int64>) -> PartitionReport {
        let open = engine.openPartials()
        var lower = query.from
        if let last = query.lastMilliseconds {
            let newest = (finals.values.flatMap { $0 } + open).map(\.window.end).max() ?? .min
            lower = max(query.from, newest == .min ? .min : newest - last)
        }
        let kept = finals.filter { $0.key >= lower && $0.key < query.to && !skip.contains($0.key) }.flatMap(\.value)
        var report = PartitionReport(lease: LeaseRef(partition: partition, epoch: 1), watermark: engine.watermark, offset: 0, accepted: 0,
                                     lateEvents: 0, rejected: 0, lateByWindow: [],
                                     rows: kept + open.filter { $0.window.start >= lower && $0.window.start < query.to })
        report.coveredFrom = lower
        return report
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
