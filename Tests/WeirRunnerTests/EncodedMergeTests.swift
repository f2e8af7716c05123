import WeirTestSupport
import Testing
import WeirCodec
@testable import WeirCore

/// The coordinator merges reports' rows from their wire form (`PartialRowCodec.merge`), skipping
/// the decoding of groups it has seen. Its answers must be exactly those of merging the decoded
/// rows, for every sample job and query shape, and bad bytes must be refused, not merged.
@Suite struct EncodedMergeTests {
    /// Per partition of a 4-way split of 20 k events over ~12 minutes: final rows drained along the way plus the
    /// open ones at the end, with the engine's watermark.
    static func partitionRows(_ spec: JobSpec) -> [(rows: [PartialRow], watermark: Int64)] {
        let partitions = 4
        let (router, engines, scanners) = PartitionedMergeTests.partitionedEngines(spec, partitions: partitions)
        var kept: [[PartialRow]] = Array(repeating: [], count: partitions)
        var settings = ClickWorkload.Settings()
        settings.events = 20_000
        settings.seed = 23
        settings.users = 2_000
        settings.pages = 300
        settings.millisecondsPer10MEvents = 3_600_000 * 2_000  // ~12 minutes of event time: many windows of every job
        for line in SampleWorkload.lines(settings) {
            line.withUnsafeBytes { bytes in
                guard case .success(let p) = router.route(bytes), scanners[p].scan(bytes) == nil else { return }
                _ = engines[p].process(scanners[p].fields)
                kept[p] += engines[p].drainPartials()
            }
        }
        return (0..<partitions).map { (kept[$0] + engines[$0].openPartials(), engines[$0].watermark) }
    }

    static func report(_ partition: Int, watermark: Int64, rows: [PartialRow]) -> PartitionReport {
        PartitionReport(lease: LeaseRef(partition: partition, epoch: 1), watermark: watermark, offset: 0, accepted: 0,
                        lateEvents: 0, rejected: 0, lateByWindow: [], rows: rows)
    }

    /// The reports as the coordinator receives them: through the wire, every row encoded.
    static func throughTheWire(_ reports: [PartitionReport]) throws -> [PartitionReport] {
        let frame = WireMessage.partials(request: 1, reports: reports).encodedFrame()
        guard case .partials(_, let decoded) = try WireMessage.decode(frameBody: Array(frame[4...])) else { throw WireError("not partials") }
        return decoded
    }

    @Test(arguments: PartitionedMergeTests.sampleJobs)
    func mergingEncodedRowsAnswersExactlyAsMergingDecodedOnes(job: String) throws {
        let spec = try PartitionedMergeTests.spec(job)
        let parts = Self.partitionRows(spec)
        let reports = parts.enumerated().map { Self.report($0.offset, watermark: $0.element.watermark, rows: $0.element.rows) }
        let received = try Self.throughTheWire(reports)
        #expect(received.allSatisfy { $0.rows.isEmpty } && received.map(\.encodedRowCount) == reports.map(\.rows.count))
        // Half of each partition's rows as rows, the rest encoded: both kinds in one report.
        let mixed = try reports.map { r in
            var w = WireWriter()
            let half = r.rows.count / 2
            for row in r.rows[half...] { PartialRowCodec.append(row, to: &w) }
            var m = Self.report(r.lease.partition, watermark: r.watermark, rows: Array(r.rows[..<half]))
            m.encodedRows = w.bytes
            m.encodedRowCount = r.rows.count - half
            return try #require(m.rows.count + m.encodedRowCount == r.rows.count ? m : nil)
        }
        let windows = Set(parts.flatMap { $0.rows.map(\.window) }).sorted()
        #expect(windows.count > 4)
        let middle = windows[windows.count / 2].start
        let queries = [RollupQuery(), RollupQuery(top: 10), RollupQuery(lastMilliseconds: 60_000), RollupQuery(top: 3, lastMilliseconds: 60_000),
                       RollupQuery(from: middle), RollupQuery(from: windows[1].start, to: middle)]
        for query in queries {
            let decoded = try RollupAnswerBuilder.build(spec: spec, query: query, reports: reports, partitionCount: 4, finals: nil).answer
            #expect(decoded.windows.reduce(0) { $0 + $1.rows.count } > 0)
            for variant in [received, mixed] {
                let encoded = try RollupAnswerBuilder.build(spec: spec, query: query, reports: variant, partitionCount: 4, finals: nil,
                                                            mergeEncoded: PartialRowCodec.merge).answer
                let same = encoded == decoded
                #expect(same, "\(job): \(query.top.map { "top \($0)" } ?? "all") from \(query.from) last \(query.lastMilliseconds ?? 0)")
            }
        }
        // Without a way to read them, encoded rows are an error, not an answer without them.
        #expect(throws: APIError.self) { try RollupAnswerBuilder.build(spec: spec, query: RollupQuery(), reports: received, partitionCount: 4, finals: nil) }
    }

    /// Values that compare equal but are encoded differently (a string and its canonically
    /// equivalent decomposed form) merge into one row, as they do decoded.
    @Test func equalGroupsEncodedDifferentlyMergeIntoOneRow() throws {
        let spec = try PartitionedMergeTests.spec("clicks-per-page")
        let window = Window(start: 0, end: 10_000)
        let states: [PortableAggregate] = [.count(2), .sum(Decimal9(integer: 10), values: 2), .minimum(Decimal9(integer: 3)),
                                           .maximum(Decimal9(integer: 7)), .average(Decimal9(integer: 10), values: 2)]
        let composed = "caf\u{E9}", decomposed = "cafe\u{301}"
        #expect(FieldValue.string(composed) == FieldValue.string(decomposed))
        #expect(ValueEncoding.encode(.string(composed)) != ValueEncoding.encode(.string(decomposed)))
        let reports = [composed, decomposed, composed, "other"].enumerated().map { p, page in
            Self.report(p, watermark: 50_000, rows: [PartialRow(window: window, group: [.string(page)], states: states, isFinal: true)])
        }
        let decoded = try RollupAnswerBuilder.build(spec: spec, query: RollupQuery(), reports: reports, partitionCount: 4, finals: nil).answer
        let encoded = try RollupAnswerBuilder.build(spec: spec, query: RollupQuery(), reports: try Self.throughTheWire(reports), partitionCount: 4,
                                                    finals: nil, mergeEncoded: PartialRowCodec.merge).answer
        #expect(encoded == decoded)
        #expect(encoded.windows.first?.rows.count == 2)
        #expect(encoded.windows.first?.rows.map { $0.cells.first } == [.integer(6), .integer(2)] || encoded.windows.first?.rows.map { $0.cells.first } == [.integer(2), .integer(6)])
    }

    /// Cut or corrupted row bytes are refused with the partition named, whichever row they hit.
    @Test func badRowBytesAreRefusedNamingThePartition() throws {
        let spec = try PartitionedMergeTests.spec("clicks-per-page")
        let rows = Array(Self.partitionRows(spec)[0].rows.prefix(50))
        var w = WireWriter()
        for row in rows { PartialRowCodec.append(row, to: &w) }
        let good = w.bytes
        var cases: [(String, [UInt8], Int)] = [("cut", Array(good.dropLast(3)), rows.count), ("one row too many", good, rows.count + 1),
                                                ("a byte left over", good + [0], rows.count)]
        var badTag = good
        badTag[8 + 8 + 1 + 2] = 0x7F  // the first row's first group value
        cases.append(("bad value tag", badTag, rows.count))
        var badWindow = good
        for k in 0..<8 { badWindow[8 + k] = 0 }  // the first row ends at 0, before its start
        cases.append(("empty window", badWindow, rows.count))
        for (what, bytes, count) in cases {
            var report = Self.report(3, watermark: .max, rows: [])
            report.encodedRows = bytes
            report.encodedRowCount = count
            do {
                _ = try RollupAnswerBuilder.build(spec: spec, query: RollupQuery(), reports: [report], partitionCount: 4, finals: nil,
                                                  mergeEncoded: PartialRowCodec.merge)
                Issue.record("\(what): merged")
            } catch {
                #expect(error.kind == .internal && error.message.contains("partition 3 sent a bad partial"), "\(what): \(error.message)")
            }
        }
    }
    /// A state of the wrong kind (a count where the job has a sum) is refused, naming the
    /// partition and the state, whether its row opens a group or merges into one already seen.
    @Test func statesOfTheWrongKindAreRefusedInNewAndMergedRows() throws {
        let spec = try PartitionedMergeTests.spec("clicks-per-page")
        let window = Window(start: 0, end: 10_000)
        let good: [PortableAggregate] = [.count(2), .sum(Decimal9(integer: 10), values: 2), .minimum(Decimal9(integer: 3)),
                                         .maximum(Decimal9(integer: 7)), .average(Decimal9(integer: 10), values: 2)]
        var bad = good
        bad[1] = .count(10)
        for (what, first, second) in [("new row", bad, good), ("merged row", good, bad)] {
            let reports = [(0, first), (3, second)].map { p, states in
                Self.report(p, watermark: 50_000, rows: [PartialRow(window: window, group: [.string("p1")], states: states, isFinal: true)])
            }
            let badPartition = what == "new row" ? 0 : 3
            let received = try Self.throughTheWire(reports)
            do {
                _ = try RollupAnswerBuilder.build(spec: spec, query: RollupQuery(), reports: received, partitionCount: 4,
                                                  finals: nil, mergeEncoded: PartialRowCodec.merge)
                Issue.record("\(what): merged")
            } catch {
                #expect(error.kind == .internal && error.message.contains("partition \(badPartition) sent a bad partial")
                         && error.message.contains("state 1 is not a valid sum partial"), "\(what): \(error.message)")
            }
        }
    }
}
