import Testing
import WeirCodec
@testable import WeirCore

/// `last` queries ask the partitions for less than every row (`PartitionAsk`, `NewestWindowHint`,
/// the builder's cut at the newest row end any report carries). Their answers must equal the
/// answer built from every row of the query's range, asked as the coordinator asks: with the
/// partitions far apart in event time (as under a replay at full speed), with `where` values
/// missing from the newest windows, with `from`/`to`, and with a hint the data went back behind.
@Suite struct NarrowedAskTests {
    typealias Partitioned = PartitionedMergeTests

    /// Per partition: engine state and final rows by window start, as a worker keeps them.
    struct Partitions {
        let engines: [JobEngine]
        var finals: [[Int64: [PartialRow]]]

        /// One partition's report for `ask`, as `PartitionRunner.report` builds it: `last` counts
        /// back from the partition's newest window starting in the range.
        func report(_ p: Int, to: Int64, ask: PartitionAsk, skip: Range<Int64>) -> PartitionReport {
            let open = engines[p].openPartials().filter { $0.window.start >= ask.from && $0.window.start < to }
            let inRange = finals[p].filter { $0.key >= ask.from && $0.key < to }
            var lower = ask.from
            if ask.last > 0 {
                let newest = (inRange.values.flatMap { $0 } + open).map(\.window.end).max() ?? .min
                lower = max(ask.from, newest == .min ? .min : newest - ask.last)
            }
            let rows = inRange.filter { $0.key >= lower && !skip.contains($0.key) }.flatMap(\.value) + open.filter { $0.window.start >= lower }
            var report = PartitionReport(lease: LeaseRef(partition: p, epoch: 1), watermark: engines[p].watermark, offset: 0, accepted: 0,
                                         lateEvents: 0, rejected: 0, lateByWindow: [], rows: rows)
            report.coveredFrom = lower
            report.newestRowEnd = rows.map(\.window.end).max() ?? .min
            return report
        }

        func reports(to: Int64, ask: PartitionAsk, skip: Range<Int64> = 0..<0) -> [PartitionReport] {
            engines.indices.map { report($0, to: to, ask: ask, skip: skip) }
        }
    }

    /// What the coordinator does for one query: first ask, build, maybe ask once more, keep the hint.
    static func answer(_ spec: JobSpec, _ query: RollupQuery, _ parts: Partitions, hint: inout NewestWindowHint?,
                       finals: inout FinalWindowCache?, asks: inout [PartitionAsk]) throws -> RollupAnswer {
        var ask = PartitionAsk.first(query, spec: spec, hint: hint)
        func build(_ ask: PartitionAsk) throws -> (answer: RollupAnswer, reports: [PartitionReport], finals: FinalWindowCache?) {
            let reports = parts.reports(to: query.to, ask: ask, skip: finals?.starts ?? 0..<0)
            let built = try RollupAnswerBuilder.build(spec: spec, query: query, reports: reports, partitionCount: parts.engines.count, finals: finals)
            return (built.answer, reports, built.finals)
        }
        asks.append(ask)
        var built = try build(ask)
        if let wider = PartitionAsk.again(after: ask, query: query, spec: spec, hint: hint, answer: built.answer, reports: built.reports) {
            ask = wider
            asks.append(ask)
            built = try build(ask)
        }
        finals = built.finals
        if let next = NewestWindowHint(spec: spec, query: query, answer: built.answer) { hint = next }
        return built.answer
    }

    /// The answer from every row of the query's range, with no cut anywhere.
    static func whole(_ spec: JobSpec, _ query: RollupQuery, _ parts: Partitions) throws -> RollupAnswer {
        var reports = parts.reports(to: query.to, ask: PartitionAsk(from: query.from, last: 0))
        for i in reports.indices { reports[i].newestRowEnd = nil }
        return try RollupAnswerBuilder.build(spec: spec, query: query, reports: reports, partitionCount: parts.engines.count)
    }

    /// The group (first field) whose newest window is the oldest: a `where` on it finds nothing
    /// in the partitions' newest windows.
    static func rareGroup(_ answer: RollupAnswer) -> FieldValue? {
        var newest: [FieldValue: Int64] = [:]
        for w in answer.windows { for row in w.rows { if let g = row.group.first { newest[g] = max(newest[g] ?? .min, w.window.end) } } }
        return newest.min { $0.value != $1.value ? $0.value < $1.value : "\($0.key)" < "\($1.key)" }?.key
    }

    @Test(arguments: Partitioned.sampleJobs)
    func narrowedAnswersEqualAnswersFromEveryRow(job: String) throws {
        let spec = try Partitioned.spec(job)
        let partitions = 4
        let (router, engines, scanners) = Partitioned.partitionedEngines(spec, partitions: partitions)
        var parts = Partitions(engines: engines, finals: Array(repeating: [:], count: partitions))
        let events = Partitioned.lines(events: 20_000, seed: 21)
        // Partitions 0 and 1 get their events late, in bursts: they lag minutes of event time.
        var held: [[UInt8]] = []
        var queries = [RollupQuery(top: 3, lastMilliseconds: 60_000), RollupQuery(lastMilliseconds: 5_000),
                       RollupQuery(from: 1_767_225_600_000, to: 1_767_226_200_000, lastMilliseconds: 120_000)]
        var hints: [NewestWindowHint?] = []
        var caches: [FinalWindowCache?] = []
        var asks: [[PartitionAsk]] = []
        var narrowed = 0, widened = 0, compared = 0
        func feed(_ line: [UInt8]) {
            line.withUnsafeBytes { bytes in
                guard case .success(let p) = router.route(bytes), scanners[p].scan(bytes) == nil else { return }
                _ = parts.engines[p].process(scanners[p].fields)
                for row in parts.engines[p].drainPartials() { parts.finals[p][row.window.start, default: []].append(row) }
            }
        }
        for (i, line) in events.enumerated() {
            let lagging = line.withUnsafeBytes { bytes in if case .success(let p) = router.route(bytes) { return p < 2 } else { return false } }
            if lagging { held.append(line) } else { feed(line) }
            if i % 6_000 == 5_999 { held.forEach(feed); held.removeAll() }
            guard i % 1_000 == 999 else { continue }
            if queries.count == 3, let rare = Self.rareGroup(try Self.whole(spec, RollupQuery(), parts)) {
                // A `where` on a value missing from the newest windows (the first field of the group).
                queries.append(RollupQuery(filters: [(field: spec.groupBy[0], value: rare)], lastMilliseconds: 30_000))
            }
            while hints.count < queries.count { hints.append(nil); caches.append(FinalWindowCache(spec: spec, rowLimit: 2_000)); asks.append([]) }
            for (q, query) in queries.enumerated() {
                let expected = try Self.whole(spec, query, parts)
                let got = try Self.answer(spec, query, parts, hint: &hints[q], finals: &caches[q], asks: &asks[q])
                #expect(got == expected, "\(job) query \(q) after \(i + 1) events")
                compared += 1
            }
        }
        for (q, query) in queries.enumerated() {
            narrowed += asks[q].filter { $0.from > query.from }.count
            widened += asks[q].filter { $0.last == 0 && query.lastMilliseconds != nil }.count
        }
        #expect(compared > 40)
        if case .session = spec.window {
            #expect(narrowed == 0, "sessions have no longest window: never narrowed")
        } else {
            #expect(narrowed > 0, "\(job): some asks were narrowed by the hint")
        }
        if !spec.groupBy.isEmpty {
            #expect(widened > 0, "\(job): some `where` answers needed a second, wider ask")
        }
    }

    /// A hint beyond anything the partitions now hold (a partition went back to its checkpoint):
    /// the narrowed answer does not confirm it, and the second ask gives the full answer.
    @Test func aHintTheDataWentBackBehindIsNotTrusted() throws {
        let spec = try Partitioned.spec("clicks-per-page")
        let (router, engines, scanners) = Partitioned.partitionedEngines(spec, partitions: 3)
        var parts = Partitions(engines: engines, finals: Array(repeating: [:], count: 3))
        for line in Partitioned.lines(events: 8_000, seed: 4) {
            line.withUnsafeBytes { bytes in
                guard case .success(let p) = router.route(bytes), scanners[p].scan(bytes) == nil else { return }
                _ = parts.engines[p].process(scanners[p].fields)
                for row in parts.engines[p].drainPartials() { parts.finals[p][row.window.start, default: []].append(row) }
            }
        }
        let query = RollupQuery(top: 5, lastMilliseconds: 60_000)
        let expected = try Self.whole(spec, query, parts)
        let newest = try #require(expected.windows.map(\.window.end).max())
        var shown = expected
        shown.windows = [RollupAnswer.WindowRows(window: Window(start: newest + 590_000, end: newest + 600_000), isFinal: false, lateEvents: 0,
                                                 rows: expected.windows[0].rows)]
        var hint = NewestWindowHint(spec: spec, query: query, answer: shown)
        #expect(hint?.newestEnd == newest + 600_000)
        var finals = FinalWindowCache(spec: spec, rowLimit: 2_000)
        var asks: [PartitionAsk] = []
        let got = try Self.answer(spec, query, parts, hint: &hint, finals: &finals, asks: &asks)
        #expect(got == expected)
        #expect(asks == [PartitionAsk(from: newest + 540_000, last: 60_000), PartitionAsk(from: .min, last: 60_000)])
        #expect(hint?.newestEnd == newest, "the hint follows the answer back")
    }
}
