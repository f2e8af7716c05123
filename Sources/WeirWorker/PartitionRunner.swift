import WeirCodec
import WeirCore

import Synchronization

/// A job as a worker runs it: the spec and the digest of its text (checkpoints of another
/// version of the job are not restored into it).
struct WorkerJob: Sendable, Equatable {
    var spec: JobSpec
    var digest: UInt64
}

/// Runs every job of one partition over its log: one engine per job, fed in log order, with
/// the final partials kept (for retention) and the open windows' partials on demand. Captures
/// checkpoints of all of it and is rebuilt from them.
///
/// Called from data-path threads (`dataPath.run`), so partitions run in parallel without
/// starving the async control path; the mutex makes a query or a checkpoint see a consistent
/// state between two chunks.
final class PartitionRunner: Sendable {
    let lease: LeaseRef
    let retentionMilliseconds: Int64
    private let state: Mutex<State>

    struct State {
        var jobs: [String: JobRun] = [:]
        var order: [String] = []
        /// Per stream: the lowest offset covered by the last committed checkpoint.
        var committedOffsets: [String: UInt64] = [:]
    }

    final class JobRun {
        let job: WorkerJob
        var spec: JobSpec { job.spec }
        let engine: JobEngine
        let scanner: EventScanner
        /// The next offset of the job's stream log to process.
        var nextOffset: UInt64 = 0
        /// True while a new job has no state and may start past offset 0 (the log was truncated
        /// behind a restored checkpoint that predates the job).
        var fresh = false
        /// Final partials by window start, kept in wire form: compact, and shipped to queries as is.
        var finals: [Int64: FinalRowGroup] = [:]
        /// Per window start with final rows not yet in a captured checkpoint: where in
        /// `finals[start]` they begin (the next delta carries them from there). Offsets instead
        /// of a second copy of the rows: final windows (built, encoded, kept twice) were about a
        /// quarter of a worker's time in perf of `bench/cluster.sh`.
        var unsavedFrom: [Int64: (bytes: Int, rows: Int)] = [:]
        var rejected: Int64 = 0
        /// The committed chain holds this job's whole engine state (restored from it, or captured
        /// whole since): until then a delta must carry the whole state, not changes to nothing.
        var inChain = false
        init(_ job: WorkerJob, tracksChanges: Bool) {
            self.job = job
            let compiled = CompiledJob(job.spec)
            engine = JobEngine(compiled, output: .partials)
            if tracksChanges { engine.trackChanges() }
            scanner = EventScanner(plan: compiled.plan)
        }
    }

    /// A runner whose jobs continue from `restored` checkpoints where one matches (name and spec
    /// digest) and start from the beginning of their stream otherwise.
    /// - Parameter newJobsMayStartPastZero: true when a committed checkpoint was restored: a job
    ///   it lacks is new and starts from the oldest event still in the log (segments behind the
    ///   checkpoint may be gone). Otherwise every job must see the log from offset 0.
    /// - Parameter checkpoints: the engines record what changes, for incremental checkpoints
    ///   (`capture`); false for a runner that is never captured.
    init(lease: LeaseRef, jobs: [WorkerJob], restored: [JobCheckpoint] = [], newJobsMayStartPastZero: Bool = false,
         retentionMilliseconds: Int64, checkpoints: Bool) throws(CheckpointError) {
        self.lease = lease
        self.retentionMilliseconds = retentionMilliseconds
        var initial = State()
        let byName = Dictionary(restored.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
        for job in jobs {
            let run = JobRun(job, tracksChanges: checkpoints)
            run.fresh = newJobsMayStartPastZero
            if let cp = byName[job.spec.name], cp.specDigest == job.digest {
                try Self.restore(run, from: cp, partition: lease.partition, retention: retentionMilliseconds)
            }
            initial.jobs[job.spec.name] = run
            initial.order.append(job.spec.name)
            initial.committedOffsets[job.spec.stream] = min(initial.committedOffsets[job.spec.stream] ?? .max, run.nextOffset)
        }
        state = Mutex(initial)
    }

    private static func restore(_ run: JobRun, from cp: JobCheckpoint, partition: Int, retention: Int64) throws(CheckpointError) {
        do {
            try run.engine.restore(cp.engine)
        } catch {
            throw CheckpointError("partition \(partition) job \(cp.name): \(error.message)")
        }
        run.nextOffset = cp.nextOffset
        run.fresh = false
        run.inChain = true
        run.rejected = cp.rejected
        for group in cp.finals {
            if run.finals[group.start] == nil {
                run.finals[group.start] = group  // shares the decoded bytes instead of copying them
            } else {
                run.finals[group.start]?.add(group)
            }
        }
        pruneFinals(run, retention: retention)
    }

    /// The offset `stream`'s fetches start from: the lowest next offset of its jobs.
    func offset(of stream: String) -> UInt64 {
        state.withLock { s in s.jobs.values.filter { $0.spec.stream == stream }.map(\.nextOffset).min() ?? 0 }
    }

    /// Feeds a chunk of `stream`'s log to every job on that stream that has not seen it. A job
    /// with state must get its next offset; only a fresh job may skip ahead (a truncated log).
    func apply(stream: String, _ chunk: WireLogChunk) throws(CheckpointError) {
        try state.withLock { s throws(CheckpointError) in
            let runs = s.order.compactMap { s.jobs[$0] }.filter { $0.spec.stream == stream && $0.nextOffset < chunk.nextOffset }
            for run in runs where run.nextOffset < chunk.firstOffset {
                guard run.fresh else {
                    throw CheckpointError("partition \(lease.partition) job \(run.spec.name) needs offset \(run.nextOffset) of \(stream), the log now starts at \(chunk.firstOffset)")
                }
                run.nextOffset = chunk.firstOffset
            }
            apply(chunk, runs: runs)
        }
    }

    private func apply(_ chunk: WireLogChunk, runs: [JobRun]) {
        guard !runs.isEmpty else { return }
        chunk.lines.withUnsafeBytes { bytes in
            var start = 0
            var offset = chunk.firstOffset
            while start < bytes.count {
                let end = bytes.indexOfNewline(from: start)
                let line = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
                if line.first == LogControlRecord.marker {
                    if case .watermark(let job, let to)? = LogControlRecord.parse(line) {
                        for run in runs where run.nextOffset <= offset && run.spec.name == job { run.engine.advanceWatermark(to: to) }
                    }
                    start = end + 1
                    offset += 1
                    continue
                }
                for run in runs where run.nextOffset <= offset {
                    if let failure = run.scanner.scan(line) {
                        run.engine.recordRejected(failure.reason)
                        run.rejected += 1
                    } else if case .rejected = run.engine.process(run.scanner.fields) {
                        run.rejected += 1
                    }
                }
                start = end + 1
                offset += 1
            }
        }
        for run in runs {
            run.nextOffset = chunk.nextOffset
            run.fresh = false
            keepFinals(run)
        }
    }

    /// Encodes the rows of windows that just became final into their start's group. A window's
    /// rows come out together, so each run of one start is encoded straight into its group's
    /// bytes (taken out of the dictionary meanwhile, so appending does not copy them).
    private func keepFinals(_ run: JobRun) {
        var group: FinalRowGroup?  // the start being appended to; its bytes are in `writer` meanwhile
        var writer = WireWriter(capacity: 0)
        func putBack() {
            guard var done = group else { return }
            done.bytes = writer.bytes
            writer = WireWriter(capacity: 0)  // drops the writer's reference: the group's bytes stay unique
            run.finals[done.start] = done
            group = nil
        }
        run.engine.drainEmittedRows { row in
            if group?.start != row.window.start {
                putBack()
                var next = run.finals.removeValue(forKey: row.window.start) ?? FinalRowGroup(start: row.window.start)
                if run.unsavedFrom[next.start] == nil { run.unsavedFrom[next.start] = (next.bytes.count, next.rows) }
                writer = WireWriter(continuing: next.bytes)
                next.bytes = []
                group = next
            }
            PartialRowCodec.append(row, to: &writer)
            group?.rows += 1
            if let maxEnd = group?.maxEnd, maxEnd < row.window.end { group?.maxEnd = row.window.end }
        }
        putBack()
        Self.pruneFinals(run, retention: retentionMilliseconds)
    }

    private static func pruneFinals(_ run: JobRun, retention: Int64) {
        let (horizon, overflow) = run.engine.watermark.subtractingReportingOverflow(retention)
        guard !overflow, run.engine.watermark > .min else { return }
        for (start, windows) in run.finals where start < horizon && windows.maxEnd < horizon {
            run.finals[start] = nil
            run.unsavedFrom[start] = nil  // behind the horizon: a restore from the next checkpoint drops them too
        }
    }

    /// The final rows the next checkpoint carries: every retained one in a base, in a delta those
    /// kept since the previous capture. Consumes the record of unsaved rows.
    private static func finalsToCapture(_ run: JobRun, base: Bool) -> [FinalRowGroup] {
        defer { run.unsavedFrom.removeAll() }
        if base { return run.finals.keys.sorted().compactMap { run.finals[$0] } }
        return run.unsavedFrom.keys.sorted().compactMap { start in
            guard let group = run.finals[start], let from = run.unsavedFrom[start] else { return nil }
            precondition(from.bytes <= group.bytes.count && from.rows <= group.rows, "unsaved final rows begin inside their group")
            // The group's latest end bounds these rows' too; a restore merges the start's groups
            // and takes the latest end anyway (it only decides when retention drops them).
            return FinalRowGroup(start: start, maxEnd: group.maxEnd, rows: group.rows - from.rows, bytes: Array(group.bytes[from.bytes...]))
        }
    }

    /// A consistent checkpoint of every job. A base carries every retained final row and the
    /// whole engine state; a delta the rows emitted and the engine cells changed since the
    /// previous capture (which this capture consumes: a delta that is not committed must be
    /// followed by a base).
    func capture(base: Bool) -> (jobs: [JobCheckpoint], offsets: [StreamOffset]) {
        state.withLock { s in
            var jobs: [JobCheckpoint] = []
            var offsets: [String: UInt64] = [:]
            for name in s.order {
                guard let run = s.jobs[name] else { continue }
                let finals = Self.finalsToCapture(run, base: base)
                // A job new since the chain's state (submitted while the partition moved) goes whole.
                let engine = run.engine.checkpointSnapshot(base: base || !run.inChain)
                run.inChain = true
                // `newestEnd` is derived from the rows kept: nothing reads it back (a report works out
                // its newest row end from the rows it sends), but the format carries it.
                let newestEnd = run.finals.values.lazy.map(\.maxEnd).max() ?? .min
                jobs.append(JobCheckpoint(name: name, specDigest: run.job.digest, nextOffset: run.nextOffset, rejected: run.rejected,
                                          newestEnd: newestEnd, engine: engine, finals: finals))
                offsets[run.spec.stream] = min(offsets[run.spec.stream] ?? .max, run.nextOffset)
            }
            return (jobs, offsets.sorted { $0.key < $1.key }.map { StreamOffset(stream: $0.key, offset: $0.value) })
        }
    }

    /// Total events processed, over all jobs (a capture is skipped when nothing moved).
    func progress() -> UInt64 {
        state.withLock { s in s.jobs.values.reduce(0) { $0 &+ $1.nextOffset } }
    }

    /// Records that checkpoints up to these offsets are committed (reported to queries).
    func committed(_ offsets: [StreamOffset]) {
        state.withLock { s in for o in offsets { s.committedOffsets[o.stream] = o.offset } }
    }

    /// The partials of `job` for windows starting in `[from, to)`, and the partition's
    /// completeness facts. Final rows of windows starting in `skipFinals` are left out (the
    /// coordinator keeps those windows merged).
    func report(job: String, from: Int64, to: Int64, last: Int64, skipFinals: Range<Int64> = 0..<0) -> PartitionReport? {
        state.withLock { s in report(s, job: job, from: from, to: to, last: last, skipFinals: skipFinals) }
    }

    private func report(_ s: State, job: String, from: Int64, to: Int64, last: Int64, skipFinals: Range<Int64>) -> PartitionReport? {
        guard let run = s.jobs[job] else { return nil }
        // Open rows are encoded straight from the engine's state (no `PartialRow` each), into
        // a buffer of their own: which of them go out depends on the newest open window.
        var open = WireWriter()
        var openRows: [(start: Int64, end: Int64, bytes: Range<Int>)] = []
        // The newest end of this partition's windows that start in [from, to): `last` counts
        // back from the newest window the answer can show, not from one outside its range.
        var newest = Int64.min
        for (start, group) in run.finals where start >= from && start < to && group.rows > 0 { newest = max(newest, group.maxEnd) }
        run.engine.forEachOpenRow { row in
            guard row.window.start >= from && row.window.start < to else { return }
            newest = max(newest, row.window.end)
            let begin = open.bytes.count
            PartialRowCodec.append(row, to: &open)
            openRows.append((row.window.start, row.window.end, begin..<open.bytes.count))
        }
        var lower = from
        if last > 0 {
            // Windows within `last` of this partition's newest end: a superset of the merged answer.
            lower = max(from, newest.subtractingReportingOverflow(last).overflow ? .min : newest - last)
        }
        var encoded: [UInt8] = []
        var encodedCount = 0
        var newestSent = Int64.min
        for start in run.finals.keys.sorted() where start >= lower && start < to && !skipFinals.contains(start) {
            if let group = run.finals[start], group.rows > 0 {
                encoded += group.bytes
                encodedCount += group.rows
                newestSent = max(newestSent, group.maxEnd)
            }
        }
        let openBytes = open.finish()
        for row in openRows where row.start >= lower {
            encoded += openBytes[row.bytes]
            encodedCount += 1
            newestSent = max(newestSent, row.end)
        }
        let stats = run.engine.stats
        var report = PartitionReport(
            lease: lease, watermark: run.engine.watermark, offset: run.nextOffset,
            accepted: stats.accepted, lateEvents: stats.late, rejected: stats.rejectedByReason.values.reduce(0, +),
            lateByWindow: run.engine.lateLedger.sorted.map { LateCount(window: $0.window, count: $0.count) },
            rows: [], encodedRows: encoded, encodedRowCount: encodedCount)
        report.committedOffset = min(s.committedOffsets[run.spec.stream] ?? 0, run.nextOffset)
        report.filtered = stats.filtered
        report.maxEventTime = run.engine.maxEventTime
        report.newestRowEnd = newestSent
        // Windows starting at or after the retention horizon were never pruned (pruning takes a
        // window only when both its start and its end are behind the horizon).
        let (horizon, overflow) = run.engine.watermark.subtractingReportingOverflow(retentionMilliseconds)
        report.coveredFrom = max(lower, run.engine.watermark == .min || overflow ? .min : horizon)
        return report
    }
}

