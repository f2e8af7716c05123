import WeirCodec
import WeirCore

import Synchronization

/// Runs every job of one partition over its log: one engine per job, fed in log order, with
/// the final partials kept (for retention) and the open windows' partials on demand.
///
/// Called from data-path threads (`DataPath.run`), so partitions run in parallel without
/// starving the async control path; the mutex makes a query read a consistent state between
/// two chunks.
final class PartitionRunner: Sendable {
    let lease: LeaseRef
    let retentionMilliseconds: Int64
    private let state: Mutex<State>

    struct State {
        var jobs: [String: JobRun] = [:]
        /// Next log offset per stream.
        var offsets: [String: UInt64] = [:]
    }

    final class JobRun {
        let spec: JobSpec
        let engine: JobEngine
        let scanner: EventScanner
        /// Final partials by window start, kept in wire form: compact, and shipped to queries as is.
        var finals: [Int64: EncodedWindows] = [:]
        var rejected: Int64 = 0
        /// Reused for encoding final rows (no allocation per row).
        var scratch = WireWriter(capacity: 256)
        /// The latest end of any final window (for `last` queries).
        var newestEnd: Int64 = .min
        init(_ spec: JobSpec) {
            self.spec = spec
            let compiled = CompiledJob(spec)
            engine = JobEngine(compiled, output: .partials)
            scanner = EventScanner(plan: compiled.plan)
        }
    }

    init(lease: LeaseRef, jobs specs: [JobSpec], retentionMilliseconds: Int64) {
        self.lease = lease
        self.retentionMilliseconds = retentionMilliseconds
        var initial = State()
        for spec in specs {
            initial.jobs[spec.name] = JobRun(spec)
            initial.offsets[spec.stream] = 0
        }
        state = Mutex(initial)
    }

    func offset(of stream: String) -> UInt64 { state.withLock { $0.offsets[stream] ?? 0 } }

    /// Feeds a chunk of `stream`'s log to every job on that stream. Chunks must arrive in order.
    func apply(stream: String, _ chunk: WireLogChunk) {
        state.withLock { s in
            precondition(chunk.firstOffset == s.offsets[stream], "chunk of \(stream) at \(chunk.firstOffset), expected offset \(s.offsets[stream] ?? 0)")
            apply(stream: stream, chunk, runs: s.jobs.values.filter { $0.spec.stream == stream })
            s.offsets[stream] = chunk.nextOffset
        }
    }

    private func apply(stream: String, _ chunk: WireLogChunk, runs: [JobRun]) {
        chunk.lines.withUnsafeBytes { bytes in
            var start = 0
            while start < bytes.count {
                var end = start
                while end < bytes.count && bytes[end] != 10 { end += 1 }
                let line = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
                for run in runs {
                    if let failure = run.scanner.scan(line) {
                        run.engine.recordRejected(failure.reason)
                        run.rejected += 1
                    } else if case .rejected = run.engine.process(run.scanner.fields) {
                        run.rejected += 1
                    }
                }
                start = end + 1
            }
        }
        for run in runs { keepFinals(run) }
    }

    private func keepFinals(_ run: JobRun) {
        for row in run.engine.drainPartials() {
            run.scratch.removeAll()
            PartialRowCodec.append(row, to: &run.scratch)
            run.finals[row.window.start, default: EncodedWindows()].add(run.scratch.bytes, end: row.window.end)
            run.newestEnd = max(run.newestEnd, row.window.end)
        }
        let (horizon, overflow) = run.engine.watermark.subtractingReportingOverflow(retentionMilliseconds)
        guard !overflow, run.engine.watermark > .min else { return }
        for (start, windows) in run.finals where start < horizon && windows.maxEnd < horizon { run.finals[start] = nil }
    }

    /// The partials of `job` for windows starting in `[from, to)`, and the partition's completeness facts.
    func report(job: String, from: Int64, to: Int64, last: Int64) -> PartitionReport? {
        state.withLock { s in report(s, job: job, from: from, to: to, last: last) }
    }

    private func report(_ s: State, job: String, from: Int64, to: Int64, last: Int64) -> PartitionReport? {
        guard let run = s.jobs[job] else { return nil }
        let open = run.engine.openPartials()
        var lower = from
        if last > 0 {
            // Windows within `last` of this partition's newest end: a superset of the merged answer.
            let newest = open.reduce(run.newestEnd) { max($0, $1.window.end) }
            lower = max(from, newest.subtractingReportingOverflow(last).overflow ? .min : newest - last)
        }
        var encoded: [UInt8] = []
        var encodedCount = 0
        for start in run.finals.keys.sorted() where start >= lower && start < to {
            if let windows = run.finals[start] { encoded += windows.bytes; encodedCount += windows.rows }
        }
        let rows = open.filter { $0.window.start >= lower && $0.window.start < to }
        let stats = run.engine.stats
        return PartitionReport(
            lease: lease, watermark: run.engine.watermark, offset: s.offsets[run.spec.stream] ?? 0,
            accepted: stats.accepted, lateEvents: stats.late, rejected: stats.rejectedByReason.values.reduce(0, +),
            lateByWindow: run.engine.lateLedger.sorted.map { LateCount(window: $0.window, count: $0.count) },
            rows: rows, encodedRows: encoded, encodedRowCount: encodedCount)
    }
}

/// The encoded final partial rows of the windows starting at one time.
struct EncodedWindows {
    var bytes: [UInt8] = []
    var rows = 0
    var maxEnd: Int64 = .min

    mutating func add(_ row: [UInt8], end: Int64) {
        bytes += row
        rows += 1
        maxEnd = max(maxEnd, end)
    }
}
