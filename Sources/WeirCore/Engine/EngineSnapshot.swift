/// Everything a `JobEngine` holds, in portable form (ids resolved to values): enough to build
/// an engine in another process that continues exactly where this one stopped. This is the
/// window state of a checkpoint.
public struct EngineSnapshot: Sendable, Equatable {
    public var watermark: Int64
    public var maxEventTime: Int64
    public var stats: EngineStats
    public var lateLedger: LateLedger
    /// Aligned windows: one cell per (pane, group), its window being the pane. Session windows:
    /// one cell per open session, in the order they were last updated. `isFinal` is always false.
    public var cells: [PartialRow]

    public init(watermark: Int64, maxEventTime: Int64, stats: EngineStats, lateLedger: LateLedger, cells: [PartialRow]) {
        self.watermark = watermark
        self.maxEventTime = maxEventTime
        self.stats = stats
        self.lateLedger = lateLedger
        self.cells = cells
    }
}

/// A snapshot that does not fit the job it is restored into (corrupt, or taken for another spec).
public struct SnapshotMismatch: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension JobEngine {
    /// The engine's whole state; changes nothing.
    public func snapshot() -> EngineSnapshot {
        var cells: [PartialRow] = []
        let collect: WindowEmitter = { window, states, _ in
            for (gid, row) in states {
                cells.append(PartialRow(window: window, group: self.extractor.groupValues(gid),
                                        states: row.states.map { $0.portable(resolve: self.extractor.value) }, isFinal: false))
            }
        }
        switch windowing {
        case .aligned(let op): op.forEachPane(emit: collect)
        case .session(let op): op.forEachOpenInSerialOrder(emit: collect)
        }
        return EngineSnapshot(watermark: watermark, maxEventTime: maxEventTime, stats: stats, lateLedger: lateLedger, cells: cells)
    }

    /// Loads `snapshot` into this engine, which must not have processed anything. Every cell is
    /// checked against the job (group arity, aggregate kinds, pane alignment) before any state
    /// changes, so a mismatching snapshot leaves the engine fresh.
    public func restore(_ snapshot: EngineSnapshot) throws(SnapshotMismatch) {
        precondition(stats == EngineStats() && watermark == .min, "restore needs a fresh engine")
        let functions = job.spec.aggregates.map(\.function)
        var rows: [(window: Window, group: UInt32, row: RowState)] = []
        rows.reserveCapacity(snapshot.cells.count)
        for (i, cell) in snapshot.cells.enumerated() {
            guard cell.group.count == job.spec.groupBy.count else {
                throw SnapshotMismatch("cell \(i) has \(cell.group.count) group values, the job groups by \(job.spec.groupBy.count)")
            }
            guard cell.states.count == functions.count, cell.window.start < cell.window.end else {
                throw SnapshotMismatch("cell \(i) has \(cell.states.count) aggregates for window \(cell.window), the job has \(functions.count)")
            }
            let row = RowState(job)
            for (k, portable) in cell.states.enumerated() {
                guard let state = portable.state(intern: internValue), state.isInitialKind(of: functions[k]) else {
                    throw SnapshotMismatch("cell \(i) aggregate \(k) is not a valid \(functions[k].keyword) state")
                }
                row.states[k] = state
            }
            var key: [UInt8] = []
            for v in cell.group { ValueEncoding.append(v, to: &key) }
            rows.append((cell.window, extractor.groups.intern(key), row))
        }
        switch windowing {
        case .aligned(let op):
            for r in rows where r.window.start != op.windows.paneStart(r.window.start) || r.window.end - r.window.start != op.windows.paneSize {
                throw SnapshotMismatch("cell window \(r.window) is not a pane of \(op.windows.paneSize) ms")
            }
            for r in rows { op.restore(paneStart: r.window.start, group: r.group, row: r.row, watermark: snapshot.watermark) }
        case .session(let op):
            for r in rows { op.restore(window: r.window, group: r.group, row: r.row) }
        }
        restoreProgress(watermark: snapshot.watermark, maxEventTime: snapshot.maxEventTime,
                        stats: snapshot.stats, lateLedger: snapshot.lateLedger)
    }

    private func internValue(_ value: FieldValue) -> UInt32 {
        extractor.values.intern(ValueEncoding.encode(value))
    }
}

extension AggregateState {
    /// True when this state is of the kind `function` starts with (a count for count, …).
    func isInitialKind(of function: AggregateFunction) -> Bool {
        switch (self, AggregateState.initial(function)) {
        case (.count, .count), (.sum, .sum), (.minimum, .minimum), (.maximum, .maximum), (.average, .average),
             (.distinct, .distinct), (.exact, .exact), (.top, .top), (.first, .first), (.last, .last):
            return true
        case let (.approxDistinct(a), .approxDistinct(b)): return a.precision == b.precision
        case let (.sketch(a), .sketch(b)): return a.mapping.relativeError == b.mapping.relativeError
        default: return false
        }
    }
}
