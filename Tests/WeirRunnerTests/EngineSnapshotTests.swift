import Testing
import WeirCodec
import WeirCore
import WeirTestSupport

/// A checkpoint's window state: an engine snapshotted mid-stream, encoded, decoded and restored
/// into a fresh engine must continue exactly as the engine that never stopped.
@Suite struct EngineSnapshotTests {
    static func lines(events: Int, seed: UInt64) -> [[UInt8]] {
        var settings = ClickWorkload.Settings()
        settings.events = events
        settings.seed = seed
        (settings.users, settings.pages) = (500, 200)
        settings.millisecondsPer10MEvents = 600_000_000  // 20 k events ≈ 20 minutes: many windows close
        settings.lateFraction = 0.02
        settings.lateByMilliseconds = 90_000
        return SampleWorkload.lines(settings)
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

/// Incremental checkpoints: snapshots of only the changed cells, folded onto the last whole one,
/// add up to exactly the engine's whole state, and a restore from the fold continues exactly.
@Suite struct IncrementalSnapshotTests {
    /// Aligned cells have no order (a dictionary's); sessions are ordered by serial.
    static func normalized(_ s: EngineSnapshot) -> EngineSnapshot {
        guard s.serials.isEmpty else { return s }
        var sorted = s
        sorted.cells.sort { a, b in a.window.start != b.window.start ? a.window.start < b.window.start : a.group.canonicallyPrecedes(b.group) }
        return sorted
    }

    static func roundTrip(_ s: EngineSnapshot) throws -> EngineSnapshot {
        var w = WireWriter()
        EngineSnapshotCodec.append(s, to: &w)
        var r = WireReader(w.bytes)
        let decoded = try EngineSnapshotCodec.decode(&r)
        #expect(r.isAtEnd)
        return decoded
    }

    @Test(arguments: PartitionedMergeTests.sampleJobs)
    func changesFoldedOntoABaseEqualTheWholeState(job: String) throws {
        let compiled = CompiledJob(try PartitionedMergeTests.spec(job))
        let events = EngineSnapshotTests.lines(events: 20_000, seed: 7)
        let scanner = EventScanner(plan: compiled.plan)
        let engine = JobEngine(compiled)
        engine.trackChanges()
        var rows: [RollupRow] = []
        var fold = try EngineSnapshotFold(engine.checkpointSnapshot(base: true))
        var done = 0
        // A base in the middle (12,000) starts the fold over, as a checkpoint chain does.
        for cut in [500, 2_000, 2_001, 7_000, 12_000, 12_001, 19_999, 20_000] {
            EngineSnapshotTests.feed(engine, scanner, events[done..<cut], into: &rows)
            let oneEvent = cut - done == 1
            done = cut
            let base = cut == 12_000
            let taken = try Self.roundTrip(engine.checkpointSnapshot(base: base))
            #expect((taken.changes == nil) == base)
            try fold.apply(taken)
            let whole = engine.snapshot()
            #expect(Self.normalized(fold.snapshot) == Self.normalized(whole), "\(job): fold after event \(cut)")
            if oneEvent {
                #expect(taken.cells.count <= min(3, whole.cells.count), "\(job): one event changes \(taken.cells.count) of \(whole.cells.count) cells")
                #expect(compiled.spec.groupBy.isEmpty || whole.cells.count > 10, "\(job): the whole state has many cells")
            }
        }
        // A restore from the fold continues exactly like the engine that never stopped.
        let more = EngineSnapshotTests.lines(events: 4_000, seed: 8)
        let restored = JobEngine(compiled)
        try restored.restore(fold.snapshot)
        var expected: [RollupRow] = [], actual: [RollupRow] = []
        EngineSnapshotTests.feed(engine, scanner, more[...], into: &expected)
        engine.finish()
        expected += engine.drainRows()
        EngineSnapshotTests.feed(restored, EventScanner(plan: compiled.plan), more[...], into: &actual)
        restored.finish()
        actual += restored.drainRows()
        #expect(actual == expected, "\(job): restored from the fold")
        #expect(restored.stats == engine.stats)
    }

    @Test func changesWithoutTheirStateAreRefused() throws {
        let compiled = CompiledJob(try PartitionedMergeTests.spec("user-sessions"))
        let engine = JobEngine(compiled)
        engine.trackChanges()
        var rows: [RollupRow] = []
        EngineSnapshotTests.feed(engine, EventScanner(plan: compiled.plan), EngineSnapshotTests.lines(events: 1_000, seed: 2)[...], into: &rows)
        let changes = engine.checkpointSnapshot(base: false)
        #expect(throws: SnapshotMismatch.self) { try JobEngine(compiled).restore(changes) }
        #expect(throws: SnapshotMismatch.self) { try EngineSnapshotFold(changes) }
        var shuffled = engine.snapshot()
        shuffled.serials.reverse()
        #expect(throws: SnapshotMismatch.self) { try JobEngine(compiled).restore(shuffled) }
    }
}

extension IncrementalSnapshotTests {
    /// A job added after the chain's base (submitted while its partition moved) enters a delta
    /// whole; a delta holding changes for a job the chain lacks is refused.
    @Test func aJobNewInADeltaEntersWhole() throws {
        let pages = CompiledJob(try PartitionedMergeTests.spec("clicks-per-page"))
        let sessions = CompiledJob(try PartitionedMergeTests.spec("user-sessions"))
        let lines = EngineSnapshotTests.lines(events: 3_000, seed: 3)
        var rows: [RollupRow] = []
        let a = JobEngine(pages), b = JobEngine(sessions)
        a.trackChanges(); b.trackChanges()
        EngineSnapshotTests.feed(a, EventScanner(plan: pages.plan), lines[..<1_000], into: &rows)
        func job(_ name: String, _ engine: EngineSnapshot) -> JobCheckpoint {
            JobCheckpoint(name: name, specDigest: 1, nextOffset: 0, rejected: 0, newestEnd: 0, engine: engine, finals: [])
        }
        let base = try CheckpointBlob.seal(kind: .base, partition: 0, epoch: 1, seq: 1, previousDigest: 0,
                                           jobs: [job("pages", a.checkpointSnapshot(base: true))])
        EngineSnapshotTests.feed(a, EventScanner(plan: pages.plan), lines[1_000...], into: &rows)
        EngineSnapshotTests.feed(b, EventScanner(plan: sessions.plan), lines[...], into: &rows)
        let bChanges = b.checkpointSnapshot(base: false)
        let refused = try CheckpointBlob.seal(kind: .delta, partition: 0, epoch: 1, seq: 2, previousDigest: base.header.digest,
                                              jobs: [job("pages", a.snapshot()), job("sessions", bChanges)])
        #expect(throws: CheckpointError.self) { try CheckpointChain.rebuild([base.bytes, refused.bytes], partition: 0) }
        let delta = try CheckpointBlob.seal(kind: .delta, partition: 0, epoch: 1, seq: 2, previousDigest: base.header.digest,
                                            jobs: [job("pages", a.checkpointSnapshot(base: false)), job("sessions", b.checkpointSnapshot(base: true))])
        let rebuilt = try CheckpointChain.rebuild([base.bytes, delta.bytes], partition: 0).jobs
        #expect(rebuilt.map(\.name) == ["pages", "sessions"])
        #expect(rebuilt.map { Self.normalized($0.engine) } == [Self.normalized(a.snapshot()), b.snapshot()])
    }
}
