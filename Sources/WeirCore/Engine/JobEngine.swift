/// Runs one job over one partition's events in arrival order: event time, watermark, windows,
/// lateness and aggregates. Pure and single-threaded; the caller owns I/O and threads.
///
/// Per event: read the time (reject if bad) → apply the filter → extract aggregate inputs
/// (reject on a wrong type) → decide lateness against the current watermark → add to the
/// window state → advance the watermark and emit every window that became final.
/// Filtered events advance the watermark; rejected and late ones do not change anything else.
public final class JobEngine {
    public let job: CompiledJob
    let extractor: EventExtractor
    let windowing: WindowOperator
    /// max event time seen − watermark delay; `Int64.min` before the first event.
    public private(set) var watermark: Int64 = .min
    public private(set) var maxEventTime: Int64 = .min
    public private(set) var stats = EngineStats()
    public private(set) var lateLedger = LateLedger()
    /// What the engine emits for a window: rendered rows (`weir run`) or mergeable partials (workers).
    public enum Output: Sendable { case rows, partials }
    public let outputKind: Output
    private var output: [RollupRow] = []
    /// Windows emitted in `.partials` mode, as the engine's own group states until drained.
    private var emitted: [EmittedWindow] = []

    public init(_ job: CompiledJob, output: Output = .rows) {
        self.job = job
        self.outputKind = output
        extractor = EventExtractor(job)
        if let aligned = AlignedWindows(job.spec.window) {
            windowing = .aligned(AlignedOperator(aligned, latenessMilliseconds: job.spec.allowedLatenessMilliseconds))
        } else if case .session(let gap) = job.spec.window {
            windowing = .session(SessionOperator(gapMilliseconds: gap, latenessMilliseconds: job.spec.allowedLatenessMilliseconds))
        } else {
            preconditionFailure("window spec \(job.spec.window) has no operator")
        }
    }

    public convenience init(_ spec: JobSpec, output: Output = .rows) { self.init(CompiledJob(spec), output: output) }

    /// Processes one scanned event (fields in `job.plan` slot order).
    public func process(_ fields: UnsafeBufferPointer<ScannedField>) -> EventOutcome {
        stats.events += 1
        let time: Int64
        switch extractor.time(fields) {
        case .success(let t): time = t
        case .failure(let rejection): return reject(rejection)
        }
        guard extractor.passesFilter(fields) else {
            stats.filtered += 1
            advance(to: time)
            return .filtered
        }
        if let rejection = extractor.extractInputs(fields) { return reject(rejection) }
        let group: UInt32
        switch extractor.groupKey(fields) {
        case .success(let g): group = g
        case .failure(let rejection): return reject(rejection)
        }
        let outcome = windowing.add(
            time: time, group: group, inputs: extractor.inputs, watermark: watermark,
            extractor: extractor, ledger: &lateLedger, job: job)
        switch outcome {
        case .late: stats.late += 1
        case .partiallyLate: stats.partiallyLate += 1; stats.accepted += 1
        default: stats.accepted += 1
        }
        advance(to: time)
        return outcome
    }

    /// Convenience for callers holding an array.
    public func process(_ fields: [ScannedField]) -> EventOutcome {
        fields.withUnsafeBufferPointer { process($0) }
    }

    /// Counts an event that never reached the engine (bad JSON found by the scanner).
    public func recordRejected(_ reason: BadEventReason) {
        stats.events += 1
        stats.rejectedByReason[reason, default: 0] += 1
    }

    /// Emits every window still open, marked not final (end of input).
    public func finish() {
        windowing.flush(extractor: extractor, job: job) { collect($0, $1, $2) }
    }

    /// Rows emitted since the last call, each window's rows in canonical group order.
    public func drainRows() -> [RollupRow] {
        defer { output.removeAll(keepingCapacity: true) }
        return output
    }

    /// Partials emitted since the last call (`output: .partials`), groups in no particular order.
    public func drainPartials() -> [PartialRow] {
        defer { emitted.removeAll(keepingCapacity: true) }
        return emitted.flatMap { partials(window: $0.window, states: $0.states, isFinal: $0.isFinal) }
    }

    /// Visits the rows emitted since the last drain (`output: .partials`) in emission order, a
    /// window's rows together, without building them as `PartialRow`s; then forgets them.
    ///
    /// Workers encode final rows straight from this: building each as a `PartialRow` first (an
    /// array of group values and one of states per row, then freed) was ~7 % of a worker's
    /// samples in perf of `bench/cluster.sh`. The states are read here, after later events of the same
    /// batch, which is safe because an emitted window's states never change again: a window of
    /// one pane is dropped with it, a window of several panes is emitted as a merged copy, and
    /// a session is taken out when emitted.
    public func drainEmittedRows(_ body: (EmittedRow) -> Void) {
        defer { emitted.removeAll(keepingCapacity: true) }
        for w in emitted { visitRows(window: w.window, states: w.states, isFinal: w.isFinal, body) }
    }

    /// Every row of the windows still open (not final), as the engine holds them, without
    /// changing any state; a row is valid only inside `body` (a window of several panes is
    /// emitted as a merged copy). What a worker encodes for a query, with no `PartialRow` built.
    public func forEachOpenRow(_ body: (EmittedRow) -> Void) {
        forEachOpenWindow { window, states, isFinal in visitRows(window: window, states: states, isFinal: isFinal, body) }
    }

    /// The partials of every window still open (not final), without changing any state.
    public func openPartials() -> [PartialRow] {
        var rows: [PartialRow] = []
        forEachOpenWindow { window, states, isFinal in rows += partials(window: window, states: states, isFinal: isFinal) }
        return rows
    }

    private func forEachOpenWindow(_ emit: WindowEmitter) {
        switch windowing {
        case .aligned(let op): op.forEachOpen(extractor: extractor, emit: emit)
        case .session(let op): op.forEachOpen(emit: emit)
        }
    }

    /// One window's group states as `EmittedRow`s.
    private func visitRows(window: Window, states: [(UInt32, RowState)], isFinal: Bool, _ body: (EmittedRow) -> Void) {
        let groupCount = job.groupSlots.count
        let resolve = extractor.value  // one closure per window, not one per row
        for (gid, row) in states {
            body(EmittedRow(window: window, isFinal: isFinal, groupKey: extractor.groups.bytes(gid),
                            groupCount: groupCount, row: row, resolve: resolve))
        }
    }

    /// A window start below which no row will be emitted any more: rows already emitted with a
    /// smaller start can be written out in canonical order (window start, end, group) without
    /// waiting for the end of input. `Int64.min` before the first event.
    public var emissionLowerBound: Int64 {
        switch windowing {
        case .aligned(let op): return op.emissionLowerBound(watermark: watermark)
        case .session(let op): return op.emissionLowerBound(watermark: watermark)
        }
    }

    /// Sets the counters and clocks of a restored snapshot (its windows are already in place).
    func restoreProgress(watermark: Int64, maxEventTime: Int64, stats: EngineStats, lateLedger: LateLedger) {
        self.watermark = watermark
        self.maxEventTime = maxEventTime
        self.stats = stats
        self.lateLedger = lateLedger
    }

    private func reject(_ rejection: EventRejection) -> EventOutcome {
        stats.rejectedByReason[rejection.reason, default: 0] += 1
        return .rejected(rejection)
    }

    /// Moves the watermark up to `watermark` without an event (an idle partition told where the
    /// rest of its stream is): windows it passes become final, and later events for them are
    /// late. A lower value changes nothing.
    public func advanceWatermark(to watermark: Int64) {
        guard watermark > self.watermark else { return }
        self.watermark = watermark
        windowing.finalize(upTo: watermark, extractor: extractor, job: job) { collect($0, $1, $2) }
    }

    private func advance(to time: Int64) {
        guard time > maxEventTime else { return }
        maxEventTime = time
        let (wm, overflow) = time.subtractingReportingOverflow(job.spec.watermarkDelayMilliseconds)
        let next = overflow ? Int64.min : wm
        guard next > watermark else { return }
        watermark = next
        windowing.finalize(upTo: watermark, extractor: extractor, job: job) { collect($0, $1, $2) }
    }

    /// Takes the group states of one emitted window.
    private func collect(_ window: Window, _ states: [(UInt32, RowState)], _ isFinal: Bool) {
        guard !states.isEmpty else { return }
        stats.windowsEmitted += 1
        stats.rowsEmitted += Int64(states.count)
        switch outputKind {
        case .rows: output += makeRows(window: window, states: states, isFinal: isFinal, extractor: extractor, job: job)
        case .partials: emitted.append(EmittedWindow(window: window, states: states, isFinal: isFinal))
        }
    }

    private func partials(window: Window, states: [(UInt32, RowState)], isFinal: Bool) -> [PartialRow] {
        states.map { gid, row in
            PartialRow(window: window, group: extractor.groupValues(gid),
                       states: row.map { $0.portable(resolve: extractor.value) }, isFinal: isFinal)
        }
    }
}

/// Receives one window's group states as an operator emits it: (window, states, is final).
typealias WindowEmitter = (Window, [(UInt32, RowState)], Bool) -> Void

/// The window logic behind a `JobEngine`.
enum WindowOperator {
    case aligned(AlignedOperator)
    case session(SessionOperator)

    func add(time: Int64, group: UInt32, inputs: [AggregateInput], watermark: Int64,
             extractor: EventExtractor, ledger: inout LateLedger, job: CompiledJob) -> EventOutcome {
        switch self {
        case .aligned(let op):
            return op.add(time: time, group: group, inputs: inputs, watermark: watermark, extractor: extractor, ledger: &ledger, job: job)
        case .session(let op):
            return op.add(time: time, group: group, inputs: inputs, watermark: watermark, extractor: extractor, ledger: &ledger, job: job)
        }
    }

    func finalize(upTo watermark: Int64, extractor: EventExtractor, job: CompiledJob, emit: WindowEmitter) {
        switch self {
        case .aligned(let op): op.finalize(upTo: watermark, extractor: extractor, job: job, emit: emit)
        case .session(let op): op.finalize(upTo: watermark, extractor: extractor, job: job, emit: emit)
        }
    }

    func flush(extractor: EventExtractor, job: CompiledJob, emit: WindowEmitter) {
        switch self {
        case .aligned(let op): op.flush(extractor: extractor, job: job, emit: emit)
        case .session(let op): op.flush(extractor: extractor, job: job, emit: emit)
        }
    }
}

/// Builds the rows of one window from group states, in canonical group order.
func makeRows(window: Window, states: [(UInt32, RowState)], isFinal: Bool,
              extractor: EventExtractor, job: CompiledJob) -> [RollupRow] {
    let ordered = states.count < 2 ? states : states
        .map { (key: extractor.groupSortKey($0.0), state: $0) }
        .sorted { ValueEncoding.sortKeyPrecedes($0.key, $1.key) }
        .map(\.state)
    return ordered.map { gid, row in
        RollupRow(window: window, group: extractor.groupValues(gid),
                  cells: row.cells(job, resolve: extractor.value), isFinal: isFinal)
    }
}

/// One window's group states as an operator emitted it.
struct EmittedWindow {
    let window: Window
    let states: [(UInt32, RowState)]
    let isFinal: Bool
}

/// One row as the engine holds it; valid only inside the call that hands it out
/// (`JobEngine.drainEmittedRows`, `JobEngine.forEachOpenRow`).
public struct EmittedRow {
    public let window: Window
    public let isFinal: Bool
    /// The group's values encoded as `ValueEncoding.append` writes them, one after another.
    public let groupKey: ArraySlice<UInt8>
    /// How many values `groupKey` holds (the job's `group_by` fields).
    public let groupCount: Int
    let row: RowState
    let resolve: (UInt32) -> FieldValue

    /// One per aggregate of the job, in spec order.
    public var stateCount: Int { row.count }

    /// Each state in its portable form, in spec order.
    public func forEachState(_ body: (PortableAggregate) -> Void) {
        for i in 0..<row.count { body(row[i].portable(resolve: resolve)) }
    }

    /// This row built as a `PartialRow`, its group decoded from `groupKey` (so it also checks
    /// that the key is the values' encoding; `drainPartials` uses the engine's cached values).
    public var partialRow: PartialRow {
        guard let group = ValueEncoding.decode(groupKey, count: groupCount) else {
            preconditionFailure("an interned group key does not decode: the interner is corrupt")
        }
        return PartialRow(window: window, group: group, states: row.map { $0.portable(resolve: resolve) }, isFinal: isFinal)
    }
}
