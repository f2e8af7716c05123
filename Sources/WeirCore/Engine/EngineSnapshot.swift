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
    /// In a snapshot of changes: only the cells changed since the previous snapshot.
    public var cells: [PartialRow]
    /// Session windows: each cell's update serial (increasing, as `cells` are ordered); empty
    /// for aligned windows.
    public var serials: [UInt64]
    /// nil: the whole state. Otherwise this snapshot holds only what changed since the previous
    /// one (an incremental checkpoint) and applies on top of it (`EngineSnapshotFold`).
    public var changes: SnapshotChanges?

    public init(watermark: Int64, maxEventTime: Int64, stats: EngineStats, lateLedger: LateLedger, cells: [PartialRow],
                serials: [UInt64] = [], changes: SnapshotChanges? = nil) {
        self.watermark = watermark
        self.maxEventTime = maxEventTime
        self.stats = stats
        self.lateLedger = lateLedger
        self.cells = cells
        self.serials = serials
        self.changes = changes
    }
}

/// What an incremental engine snapshot removes from the one before it; its cells replace or
/// add cells of the same key (aligned: pane and group) or group (sessions).
public struct SnapshotChanges: Sendable, Equatable {
    /// Aligned windows: panes dropped (every window over them final), with all their cells.
    public var droppedPanes: [Int64]
    /// Session windows: groups whose sessions changed. Their sessions before are all replaced by
    /// this snapshot's cells of that group (none: every session of the group closed).
    public var sessionGroups: [[FieldValue]]

    public init(droppedPanes: [Int64] = [], sessionGroups: [[FieldValue]] = []) {
        self.droppedPanes = droppedPanes
        self.sessionGroups = sessionGroups
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
        var s = EngineSnapshot(watermark: watermark, maxEventTime: maxEventTime, stats: stats, lateLedger: lateLedger, cells: [])
        switch windowing {
        case .aligned(let op): op.forEachPane { window, states, _ in self.appendCells(window, states, to: &s) }
        case .session(let op): op.forEachOpenInSerialOrder { window, group, row, serial in self.appendSession(window, group, row, serial, to: &s) }
        }
        return s
    }

    /// Records which windows and groups change from now on, for incremental checkpoints
    /// (`checkpointSnapshot`). Only for an engine that checkpoints: the record empties only then.
    public func trackChanges() {
        switch windowing {
        case .aligned(let op): op.tracksChanges = true
        case .session(let op): op.tracksChanges = true
        }
    }

    /// A checkpoint's engine state: the whole of it (`base`), or only what changed since the
    /// previous checkpoint snapshot. Either way the changes recorded so far are consumed, so a
    /// delta whose checkpoint is lost must be followed by a base.
    public func checkpointSnapshot(base: Bool) -> EngineSnapshot {
        guard !base else {
            switch windowing {
            case .aligned(let op): op.clearChanges()
            case .session(let op): op.clearChanges()
            }
            return snapshot()
        }
        var s = EngineSnapshot(watermark: watermark, maxEventTime: maxEventTime, stats: stats, lateLedger: lateLedger, cells: [])
        switch windowing {
        case .aligned(let op):
            let dropped = op.takeChanges { window, states, _ in self.appendCells(window, states, to: &s) }
            s.changes = SnapshotChanges(droppedPanes: dropped)
        case .session(let op):
            var sessions: [(serial: UInt64, window: Window, group: UInt32, row: RowState)] = []
            let groups = op.takeChanges { window, group, row, serial in sessions.append((serial, window, group, row)) }
            sessions.sort { $0.serial < $1.serial }
            for e in sessions { appendSession(e.window, e.group, e.row, e.serial, to: &s) }
            s.changes = SnapshotChanges(sessionGroups: groups.map { extractor.groupValues($0) })
        }
        return s
    }

    private func appendCells(_ window: Window, _ states: [(UInt32, RowState)], to s: inout EngineSnapshot) {
        for (gid, row) in states {
            s.cells.append(PartialRow(window: window, group: extractor.groupValues(gid),
                                      states: row.map { $0.portable(resolve: extractor.value) }, isFinal: false))
        }
    }

    private func appendSession(_ window: Window, _ group: UInt32, _ row: RowState, _ serial: UInt64, to s: inout EngineSnapshot) {
        appendCells(window, [(group, row)], to: &s)
        s.serials.append(serial)
    }

    /// Loads `snapshot` into this engine, which must not have processed anything. Every cell is
    /// checked against the job (group arity, aggregate kinds, pane alignment) before any state
    /// changes, so a mismatching snapshot leaves the engine fresh.
    public func restore(_ snapshot: EngineSnapshot) throws(SnapshotMismatch) {
        precondition(stats == EngineStats() && watermark == .min, "restore needs a fresh engine")
        guard snapshot.changes == nil else { throw SnapshotMismatch("a snapshot of changes needs the state it changes (fold it first)") }
        guard snapshot.serials.isEmpty || snapshot.serials.count == snapshot.cells.count else {
            throw SnapshotMismatch("\(snapshot.serials.count) session serials for \(snapshot.cells.count) cells")
        }
        guard zip(snapshot.serials, snapshot.serials.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw SnapshotMismatch("session serials do not increase")
        }
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
            let row = RowState.make(job)
            for (k, portable) in cell.states.enumerated() {
                guard let state = portable.state(intern: internValue), state.isInitialKind(of: functions[k]) else {
                    throw SnapshotMismatch("cell \(i) aggregate \(k) is not a valid \(functions[k].keyword) state")
                }
                row[k] = state
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
            let serials = snapshot.serials
            for (i, r) in rows.enumerated() { op.restore(window: r.window, group: r.group, row: r.row, serial: serials.isEmpty ? nil : serials[i]) }
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
