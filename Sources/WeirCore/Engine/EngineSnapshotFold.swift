/// A whole engine snapshot kept current by applying incremental ones: the engine state of a
/// checkpoint chain (a base, then deltas that carry only the cells that changed). Kept by key —
/// (pane, group) for aligned windows, group for sessions — so each change is a dictionary update
/// and the whole snapshot is built only when a restore or a query needs it.
public struct EngineSnapshotFold: Sendable {
    /// Watermark, clocks, counters and late ledger of the newest snapshot (its cells are kept below).
    private var head: EngineSnapshot
    private var panes: [Int64: [[FieldValue]: PartialRow]] = [:]
    private var sessions: [[FieldValue]: [(serial: UInt64, cell: PartialRow)]] = [:]
    private var isSession: Bool

    /// Starts from a whole snapshot.
    public init(_ whole: EngineSnapshot) throws(SnapshotMismatch) {
        guard whole.changes == nil else { throw SnapshotMismatch("a fold starts from a whole snapshot, not from changes") }
        guard whole.serials.isEmpty || whole.serials.count == whole.cells.count else {
            throw SnapshotMismatch("\(whole.serials.count) session serials for \(whole.cells.count) cells")
        }
        head = whole
        head.cells = []
        head.serials = []
        isSession = !whole.serials.isEmpty
        if isSession {
            for (serial, cell) in zip(whole.serials, whole.cells) { sessions[cell.group, default: []].append((serial, cell)) }
        } else {
            for cell in whole.cells { panes[cell.window.start, default: [:]][cell.group] = cell }
        }
    }

    /// Applies the next snapshot: changes update the state, a whole snapshot replaces it.
    public mutating func apply(_ next: EngineSnapshot) throws(SnapshotMismatch) {
        guard let changes = next.changes else {
            self = try EngineSnapshotFold(next)
            return
        }
        head.watermark = next.watermark
        head.maxEventTime = next.maxEventTime
        head.stats = next.stats
        head.lateLedger = next.lateLedger
        if !changes.sessionGroups.isEmpty || !next.serials.isEmpty {
            guard next.serials.count == next.cells.count, changes.droppedPanes.isEmpty, panes.isEmpty else {
                throw SnapshotMismatch("session changes with \(next.serials.count) serials for \(next.cells.count) cells, or mixed with panes")
            }
            isSession = true
            let groups = Set(changes.sessionGroups)
            for group in groups { sessions[group] = nil }
            for (serial, cell) in zip(next.serials, next.cells) {
                guard groups.contains(cell.group) else { throw SnapshotMismatch("a changed session of group \(cell.group) that is not listed as changed") }
                sessions[cell.group, default: []].append((serial, cell))
            }
        } else {
            guard !isSession || next.cells.isEmpty else { throw SnapshotMismatch("pane changes on top of sessions") }
            for start in changes.droppedPanes { panes[start] = nil }
            for cell in next.cells { panes[cell.window.start, default: [:]][cell.group] = cell }
        }
    }

    /// The whole snapshot the applied ones add up to (sessions in serial order).
    public var snapshot: EngineSnapshot {
        var whole = head
        if isSession {
            let all = sessions.values.joined().sorted { $0.serial < $1.serial }
            whole.cells = all.map(\.cell)
            whole.serials = all.map(\.serial)
        } else {
            whole.cells = panes.values.flatMap(\.values)
        }
        return whole
    }
}
