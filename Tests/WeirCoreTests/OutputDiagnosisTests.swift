import Testing
@testable import WeirCore

/// "Why is there no output?": each common cause is recognized from the facts, with its numbers.
@Suite struct OutputDiagnosisTests {
    static let spec: JobSpec = {
        // try!-free: the spec text is fixed and valid; a parse failure fails the test below.
        (try? JobSpecParser.parse("""
        name: clicks
        stream: clicks
        time: {field: ts, unit: ms}
        watermark: 2s
        allowed_lateness: 1s
        window: {type: tumbling, size: 10s}
        group_by: [page]
        filter: {field: country, op: eq, value: DE}
        aggregates:
          - {as: views, fn: count}
        """)) ?? JobSpec(name: "", stream: "", time: TimeSpec(field: "ts", unit: .milliseconds), watermarkDelayMilliseconds: 0,
                          window: .tumbling(sizeMilliseconds: 1), allowedLatenessMilliseconds: 0, groupBy: [], filter: nil, aggregates: [])
    }()

    func answer(accepted: Int64 = 0, late: Int64 = 0, rejected: Int64 = 0, filtered: Int64 = 0, watermark: Int64? = nil,
                windows: [RollupAnswer.WindowRows] = [], missing: [Int] = []) -> RollupAnswer {
        var a = RollupAnswer(job: "clicks", groupBy: ["page"], columns: ["views"], windows: windows, watermark: watermark,
                             partitionsReporting: [0, 1], partitionsMissing: missing, eventsAccepted: accepted, eventsLate: late, eventsRejected: rejected)
        a.eventsFiltered = filtered
        return a
    }

    func codes(_ partitions: [OutputDiagnosis.PartitionFacts], _ a: RollupAnswer) -> [OutputDiagnosis.Finding] {
        OutputDiagnosis.diagnose(.init(spec: Self.spec, partitions: partitions, answer: a, idleAfterMilliseconds: 30_000))
    }

    func partition(_ p: Int, end: UInt64, processed: UInt64? = nil, watermark: Int64 = .min, idle: Int64? = nil) -> OutputDiagnosis.PartitionFacts {
        .init(partition: p, logEnd: end, processed: processed ?? end, watermark: watermark, idleMilliseconds: idle)
    }

    @Test func specParses() { #expect(Self.spec.name == "clicks" && Self.spec.filter != nil) }

    @Test func noEventsNamesTheStreamAndHowToSendSome() {
        let f = codes([partition(0, end: 0), partition(1, end: 0)], answer())
        #expect(f.map(\.code) == ["no_events"])
        #expect(f[0].message.contains("POST /v1/streams/clicks/events"))
    }

    @Test func everythingFilteredRejectedOrLateIsNamedWithCounts() {
        let filtered = codes([partition(0, end: 40)], answer(filtered: 40))
        #expect(filtered.contains { $0.code == "filter_matches_nothing" && $0.message.contains("40") && $0.message.contains("country") })
        let rejected = codes([partition(0, end: 5)], answer(rejected: 5))
        #expect(rejected.contains { $0.code == "all_rejected" && $0.message.contains("5 events") })
        let late = codes([partition(0, end: 7)], answer(late: 7))
        #expect(late.contains { $0.code == "all_late" && $0.message.contains("7 events") && $0.message.contains("allowed lateness 1s") })
    }

    @Test func unownedAndBehindPartitionsAreReported() {
        let f = codes([partition(0, end: 10, processed: 4), .init(partition: 1, logEnd: 5, processed: nil, watermark: .min, idleMilliseconds: nil)],
                      answer(accepted: 4))
        #expect(f.contains { $0.code == "partitions_unowned" && $0.message.contains("Partitions 1 hold 5 events") })
        #expect(f.contains { $0.code == "catching_up" && $0.message.contains("6 events behind") })
    }

    @Test func anIdlePartitionHoldingTheWatermarkIsNamed() {
        let f = codes([partition(0, end: 10, watermark: 50_000, idle: 45_000), partition(1, end: 10, watermark: 80_000, idle: 200)],
                      answer(accepted: 20, watermark: 50_000))
        let idle = f.first { $0.code == "idle_partition" }
        #expect(idle?.level == .warning)
        #expect(idle?.message.contains("Partition 0 has had no events for 45s") == true)
        #expect(idle?.message.contains("30s behind") == true)
        // Not idle long enough: no finding.
        let busy = codes([partition(0, end: 10, watermark: 50_000, idle: 2_000), partition(1, end: 10, watermark: 80_000, idle: 200)],
                         answer(accepted: 20, watermark: 50_000))
        #expect(!busy.contains { $0.code == "idle_partition" })
    }

    @Test func manyIdlePartitionsMakeOneLineNamingThem() {
        // Fifteen quiet partitions (idle 75-80 s, excluded as idle) behind one busy partition.
        var partitions = (0..<15).map { p in
            OutputDiagnosis.PartitionFacts(partition: p, logEnd: 10, processed: 10, watermark: 50_000 - Int64(p) * 1_000,
                                           idleMilliseconds: 75_000 + Int64(p % 2) * 5_000, excludedAsIdle: true)
        }
        partitions.append(partition(15, end: 10, watermark: 80_000, idle: 100))
        let idle = codes(partitions, answer(accepted: 160, watermark: 80_000)).filter { $0.code == "idle_partition" }
        #expect(idle.count == 1, "\(idle.map(\.message))")
        #expect(idle.first?.level == .info)
        #expect(idle.first?.message == "Partitions 0, 1, 2, 3, 4, 5, 6, 7 and 7 more have had no events for 1m15s–1m20s; they are idle and no longer hold the watermark back (their own watermarks are 30s–44s behind).")
    }

    @Test func anOpenWindowSaysWhenItBecomesFinal() {
        let open = RollupAnswer.WindowRows(window: Window(start: 10_000, end: 20_000), isFinal: false, lateEvents: 0, rows: [])
        let closed = RollupAnswer.WindowRows(window: Window(start: 0, end: 10_000), isFinal: true, lateEvents: 0, rows: [])
        let f = codes([partition(0, end: 10, watermark: 15_000)], answer(accepted: 10, watermark: 15_000, windows: [closed, open]))
        let w = f.first { $0.code == "window_open" }
        // final at end 20 s + lateness 1 s = 21 s; watermark 15 s: 6 s to go; an event at ≥ 23 s (delay 2 s).
        #expect(w?.message.contains("1970-01-01T00:00:21.000Z") == true)
        #expect(w?.message.contains("6s to go") == true)
        #expect(w?.message.contains("1970-01-01T00:00:23.000Z") == true)
        #expect(f.contains { $0.code == "output_final" })
    }

    @Test func isoTimesAreExact() {
        #expect(EventTimeText.iso(1_767_225_600_000) == "2026-01-01T00:00:00.000Z")
        #expect(EventTimeText.iso(951_782_400_123) == "2000-02-29T00:00:00.123Z")
        #expect(EventTimeText.iso(-1) == "1969-12-31T23:59:59.999Z")
    }
}
