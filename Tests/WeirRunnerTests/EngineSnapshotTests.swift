import Testing
import WeirCodec
import WeirCore

/// A checkpoint's window state: an engine snapshotted mid-stream, encoded, decoded and restored
/// into a fresh engine must continue exactly as the engine that never stopped.
@Suite struct EngineSnapshotTests {
    static func lines(events: Int, seed: UInt64) -> [[UInt8]] {
        var settings = ClickWorkload.Settings()
        settings.events = events
        settings.seed = seed
        settings.users = 500
        settings.pages = 200
        settings.millisecondsPer10MEvents = 600_000_000  // 20 k events ≈ 20 minutes: many windows close
        settings.lateFraction = 0.02
        settings.lateByMilliseconds = 90_000
        return PartitionedMergeTests.lines(settings)
    }

    /// Runs `lines` through `engine`, collecting every emitted row.
    static func feed(_ engine: JobEngine, _ scanner: EventScanner, _ lines: ArraySlice<[UInt8]>, into rows: inout [RollupRow]) {
        for line in lines {
            line.withUnsafeBytes { bytes in
                if let failure = scanner.scan(bytes) { engine.recordRejected(failure.reason) } else { _ = engine.process(scanner.fields) }
            }
            rows += engine.drainRows()
        }
    }

    @Test(arguments: PartitionedMergeTests.sampleJobs)
    func restoredEngineContinuesExactly(job: String) throws {
        let spec = try PartitionedMergeTests.spec(job)
        let compiled = CompiledJob(spec)
        let events = Self.lines(events: 20_000, seed: 5)
        let whole = JobEngine(compiled)
        var expected: [RollupRow] = []
        Self.feed(whole, EventScanner(plan: compiled.plan), events[...], into: &expected)
        whole.finish()
        expected += whole.drainRows()
        #expect(whole.stats.late > 0, "the workload must exercise lateness")

        for cut in [1, 777, 9_000, 19_999] {
            let first = JobEngine(compiled)
            var rows: [RollupRow] = []
            Self.feed(first, EventScanner(plan: compiled.plan), events[..<cut], into: &rows)
            let snapshot = first.snapshot()
            var w = WireWriter()
            EngineSnapshotCodec.append(snapshot, to: &w)
            var r = WireReader(w.bytes)
            let decoded = try EngineSnapshotCodec.decode(&r)
            #expect(r.isAtEnd)
            #expect(decoded.watermark == snapshot.watermark && decoded.stats == snapshot.stats && decoded.lateLedger == snapshot.lateLedger)
            let second = JobEngine(compiled)
            try second.restore(decoded)
            #expect(second.snapshot().cells.count == snapshot.cells.count)
            Self.feed(second, EventScanner(plan: compiled.plan), events[cut...], into: &rows)
            second.finish()
            rows += second.drainRows()
            #expect(rows == expected, "\(job) restored at event \(cut)")
            #expect(second.stats == whole.stats, "\(job) stats after a restore at \(cut)")
            #expect(second.lateLedger == whole.lateLedger, "\(job) late ledger after a restore at \(cut)")
        }
    }

    @Test func aSnapshotOfAnotherJobIsRefusedAndChangesNothing() throws {
        let pages = CompiledJob(try PartitionedMergeTests.spec("clicks-per-page"))
        let sessions = CompiledJob(try PartitionedMergeTests.spec("user-sessions"))
        let engine = JobEngine(pages)
        var rows: [RollupRow] = []
        Self.feed(engine, EventScanner(plan: pages.plan), Self.lines(events: 2_000, seed: 1)[...], into: &rows)
        let foreign = JobEngine(sessions)
        #expect(throws: SnapshotMismatch.self) { try foreign.restore(engine.snapshot()) }
        #expect(foreign.snapshot().cells.isEmpty && foreign.watermark == .min)
        // A cell whose window is not a pane of the job.
        var shifted = engine.snapshot()
        shifted.cells[0].window = Window(start: shifted.cells[0].window.start + 1, end: shifted.cells[0].window.end + 1)
        #expect(throws: SnapshotMismatch.self) { try JobEngine(pages).restore(shifted) }
    }
}
