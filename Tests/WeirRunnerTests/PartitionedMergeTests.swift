import Foundation
import Testing
import WeirCodec
import WeirCore
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
