import Testing
import WeirCodec
@testable import WeirCore

/// Workers encode final rows (`drainEmittedRows`) and a query's open rows (`forEachOpenRow`)
/// straight from the engine's state; the bytes must be exactly those of encoding the same rows
/// built as `PartialRow`s (`drainPartials`, `openPartials`), which is what checkpoints,
/// restores and the coordinator's merge decode.
@Suite struct EmittedRowCodecTests {
    /// Every aggregate, several group fields of different kinds, and each window type.
    static let specs = [
        """
        name: every-aggregate
        stream: clicks
        time: {field: ts, unit: ms}
        watermark: 1s
        window: {type: hopping, size: 30s, slide: 10s}
        group_by: [country, latency_ms]
        aggregates:
          - {as: n, fn: count}
          - {as: n_bytes, fn: count, field: bytes}
          - {as: total, fn: sum, field: bytes}
          - {as: low, fn: min, field: latency_ms}
          - {as: high, fn: max, field: latency_ms}
          - {as: mean, fn: avg, field: latency_ms}
          - {as: users, fn: count_distinct, field: user}
          - {as: users_approx, fn: approx_distinct, field: user, precision: 6}
          - {as: lat, fn: quantiles, field: latency_ms, q: [0.5, 0.9]}
          - {as: lat_exact, fn: exact_quantiles, field: latency_ms, q: [0.5]}
          - {as: pages, fn: top_n, field: page, n: 3}
          - {as: entry, fn: first, field: page}
          - {as: exit, fn: last, field: page}
        """,
        """
        name: tumbling
        stream: clicks
        time: {field: ts, unit: ms}
        watermark: 2s
        allowed_lateness: 3s
        window: {type: tumbling, size: 10s}
        group_by: [page]
        aggregates:
          - {as: views, fn: count}
          - {as: mean, fn: avg, field: latency_ms}
        """,
        """
        name: sessions
        stream: clicks
        time: {field: ts, unit: ms}
        watermark: 2s
        window: {type: session, gap: 5s}
        group_by: [user]
        aggregates:
          - {as: clicks, fn: count}
          - {as: entry, fn: first, field: page}
        """,
    ]

    @Test(arguments: specs)
    func emittedRowsEncodeAsTheirPartialRows(_ yaml: String) throws {
        let spec = try JobSpecParser.parse(yaml)
        let compiled = CompiledJob(spec)
        let engine = JobEngine(compiled, output: .partials)
        // Drained after every event: what each row was when emitted.
        let eager = JobEngine(CompiledJob(spec), output: .partials)
        let scanner = EventScanner(plan: compiled.plan)
        var settings = ClickWorkload.Settings()
        settings.events = 30_000
        settings.seed = 5
        settings.users = 400
        settings.pages = 50
        var workload = ClickWorkload(settings)
        var line: [UInt8] = []
        var rows = 0, differing = 0, openRows = 0, differingQueries = 0
        let late = RollupMerger(spec: spec), early = RollupMerger(spec: spec)
        func drain() throws {
            var partials: [PartialRow] = []
            engine.drainEmittedRows { row in
                partials.append(row.partialRow)
                var direct = WireWriter(), built = WireWriter()
                PartialRowCodec.append(row, to: &direct)
                PartialRowCodec.append(row.partialRow, to: &built)
                rows += 1
                if direct.bytes != built.bytes { differing += 1 }
            }
            for row in partials { try late.add(row, partition: 0) }
        }
        for i in 0..<settings.events {
            line.removeAll(keepingCapacity: true)
            _ = workload.next(into: &line)
            line.withUnsafeBytes { bytes in
                #expect(scanner.scan(bytes) == nil)
                _ = engine.process(scanner.fields)
                _ = eager.process(scanner.fields)
            }
            for row in eager.drainPartials() { try early.add(row, partition: 0) }
            if i % 997 == 0 { try drain() }  // drained after many events, as a worker does per chunk
            if i % 1_499 == 0 {
                // A query: the open rows encoded from the state decode to the rows built as
                // `PartialRow`s, in the engine's order. (Compared decoded: a window of several
                // panes is merged anew for each, and a merged distinct set or top-n table may
                // list the same values in another order.)
                var direct = WireWriter()
                var count = 0
                engine.forEachOpenRow { row in
                    PartialRowCodec.append(row, to: &direct)
                    count += 1
                }
                var reader = WireReader(direct.finish())
                let decoded = try (0..<count).map { _ in try PartialRowCodec.decodeRow(&reader) }
                let built = engine.openPartials()
                openRows += built.count
                if decoded != built { differingQueries += 1 }
            }
        }
        engine.finish()
        eager.finish()
        try drain()
        for row in eager.drainPartials() { try early.add(row, partition: 0) }
        // Rows read at the drain are the rows as they were emitted: an emitted window's states
        // never change after it.
        #expect(late.rows { _ in false } == early.rows { _ in false })
        #expect(rows > 100, "the workload emits rows")
        #expect(differing == 0, "\(differing) of \(rows) rows encode differently")
        #expect(openRows > 100, "the queries see open rows")
        #expect(differingQueries == 0, "\(differingQueries) queries' open rows encode differently")
    }
}
