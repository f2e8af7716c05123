import HeapModule

/// Tumbling, hopping and cumulating windows over panes (see `AlignedWindows`).
final class AlignedOperator {
    final class Pane {
        let rows = GroupRowMap()
    }

    struct PendingWindow: Comparable {
        var window: Window
        static func < (a: PendingWindow, b: PendingWindow) -> Bool {
            a.window.end != b.window.end ? a.window.end < b.window.end : a.window.start < b.window.start
        }
    }

    struct PaneExpiry: Comparable {
        var lastEnd: Int64
        var paneStart: Int64
        static func < (a: PaneExpiry, b: PaneExpiry) -> Bool {
            a.lastEnd != b.lastEnd ? a.lastEnd < b.lastEnd : a.paneStart < b.paneStart
        }
    }

    let windows: AlignedWindows
    let lateness: Int64
    private var panes: [Int64: Pane] = [:]
    private var pending = Heap<PendingWindow>()
    private var registered = Set<Window>()
    private var expiry = Heap<PaneExpiry>()
    private var cachedPaneStart: Int64 = .min
    private var cachedPane: Pane?
    /// Whether (pane, group) rows changed and panes dropped are recorded for incremental
    /// checkpoints (off unless the engine checkpoints: the lists only empty when taken).
    var tracksChanges = false
    private var changedRows: [(paneStart: Int64, group: UInt32)] = []
    private var droppedPanes: [Int64] = []

    init(_ windows: AlignedWindows, latenessMilliseconds: Int64) {
        self.windows = windows
        self.lateness = latenessMilliseconds
    }

    /// True when window end `end` is final at watermark `wm`: wm ≥ end + allowed lateness.
    @inline(__always)
    func isFinal(end: Int64, watermark wm: Int64) -> Bool {
        let (limit, overflow) = end.addingReportingOverflow(lateness)
        return !overflow && wm >= limit
    }

    func add(time t: Int64, group: UInt32, inputs: [AggregateInput], watermark wm: Int64,
             extractor: EventExtractor, ledger: inout LateLedger, job: CompiledJob) -> EventOutcome {
        var lateWindows = 0
        if isFinal(end: windows.firstEnd(containing: t), watermark: wm) {
            windows.forEachWindow(containing: t) { w in
                if isFinal(end: w.end, watermark: wm) { ledger.record(w); lateWindows += 1 }
            }
            if isFinal(end: windows.lastEnd(containing: t), watermark: wm) { return .late }
        }
        let paneStart = windows.paneStart(t)
        let pane = pane(at: paneStart, watermark: wm)
        let row: RowState
        if let existing = pane.rows.row(group) {
            row = existing
        } else {
            row = RowState.make(job)
            pane.rows.insert(row, for: group)
        }
        row.apply(inputs, time: t, extractor: extractor)
        if tracksChanges && !row.changed {
            row.changed = true
            changedRows.append((paneStart, group))
        }
        return lateWindows > 0 ? .partiallyLate(lateWindows: lateWindows) : .added
    }

    private func pane(at start: Int64, watermark wm: Int64) -> Pane {
        if start == cachedPaneStart, let cachedPane { return cachedPane }
        let pane: Pane
        if let existing = panes[start] {
            pane = existing
        } else {
            pane = Pane()
            panes[start] = pane
            windows.forEachWindow(containing: start) { w in
                if !isFinal(end: w.end, watermark: wm) && registered.insert(w).inserted {
                    pending.insert(PendingWindow(window: w))
                }
            }
            expiry.insert(PaneExpiry(lastEnd: windows.lastEnd(containing: start), paneStart: start))
        }
        cachedPaneStart = start
        cachedPane = pane
        return pane
    }

    /// No window starting before this will be emitted after now (see `JobEngine.emissionLowerBound`).
    func emissionLowerBound(watermark wm: Int64) -> Int64 {
        guard wm > .min else { return .min }
        let extent: Int64
        switch windows.shape {
        case .tumbling(let size), .hopping(let size, _): extent = size
        case .cumulate(_, let maxSize): extent = maxSize
        }
        // A future event can only open windows that are not yet final: their ends exceed
        // wm − lateness, so their starts exceed wm − lateness − extent (kept one pane wider).
        var bound = saturatingSubtract(wm, lateness, 2 * extent, windows.paneSize)
        for w in registered where w.start < bound { bound = w.start }
        return bound
    }

    func finalize(upTo wm: Int64, extractor: EventExtractor, job: CompiledJob, emit: WindowEmitter) {
        while let next = pending.min, isFinal(end: next.window.end, watermark: wm) {
            _ = pending.popMin()
            registered.remove(next.window)
            emit(next.window, states(of: next.window, extractor: extractor), true)
        }
        while let next = expiry.min, isFinal(end: next.lastEnd, watermark: wm) {
            _ = expiry.popMin()
            panes[next.paneStart] = nil
            if tracksChanges { droppedPanes.append(next.paneStart) }
            if next.paneStart == cachedPaneStart { cachedPaneStart = .min; cachedPane = nil }
        }
    }

    func flush(extractor: EventExtractor, job: CompiledJob, emit: WindowEmitter) {
        while let next = pending.popMin() {
            emit(next.window, states(of: next.window, extractor: extractor), false)
        }
        registered.removeAll()
        if tracksChanges { droppedPanes += panes.keys }
        panes.removeAll()
        expiry = Heap()
        cachedPaneStart = .min
        cachedPane = nil
    }

    /// Every open window's current states, not final, in no particular order; changes nothing.
    func forEachOpen(extractor: EventExtractor, emit: WindowEmitter) {
        for w in registered { emit(w, states(of: w, extractor: extractor), false) }
    }

    /// Every pane's rows, as (pane window, states); changes nothing. The checkpointed form of
    /// this operator: windows are rebuilt from panes when they become final.
    func forEachPane(emit: WindowEmitter) {
        for (start, pane) in panes {
            emit(Window(start: start, end: start + windows.paneSize), Array(zip(pane.rows.groups, pane.rows.rows)), false)
        }
    }

    /// The rows changed since the last call (as pane cells) and the panes dropped since; clears both.
    func takeChanges(emit: WindowEmitter) -> [Int64] {
        defer { clearChanges() }
        var byPane: [Int64: [(UInt32, RowState)]] = [:]
        for (start, group) in changedRows {
            if let row = panes[start]?.rows.row(group) { byPane[start, default: []].append((group, row)) }
        }
        for (start, rows) in byPane { emit(Window(start: start, end: start + windows.paneSize), rows, false) }
        return droppedPanes
    }

    /// Forgets the changes recorded so far (a base checkpoint carries everything).
    func clearChanges() {
        for (start, group) in changedRows { panes[start]?.rows.row(group)?.changed = false }
        changedRows.removeAll(keepingCapacity: true)
        droppedPanes.removeAll()
    }

    /// Puts back one (pane, group) row of a snapshot taken at watermark `wm`. The pane registers
    /// the windows that are not final at `wm`: exactly those the snapshotted operator still had
    /// pending, since a window leaves the pending set only by becoming final.
    func restore(paneStart: Int64, group: UInt32, row: RowState, watermark wm: Int64) {
        let pane = pane(at: paneStart, watermark: wm)
        precondition(pane.rows.row(group) == nil, "snapshot holds pane \(paneStart) group \(group) twice")
        pane.rows.insert(row, for: group)
    }

    /// The group states of a window: its single pane's rows, or the merge of its panes.
    private func states(of w: Window, extractor: EventExtractor) -> [(UInt32, RowState)] {
        if w.end - w.start == windows.paneSize {
            // The window is one pane: its rows are the window's rows, no copy needed.
            guard let pane = panes[w.start] else { return [] }
            return Array(zip(pane.rows.groups, pane.rows.rows))
        }
        let merged = GroupRowMap()
        var start = w.start
        while start < w.end {
            if let pane = panes[start] {
                for (gid, row) in zip(pane.rows.groups, pane.rows.rows) {
                    if let target = merged.row(gid) {
                        target.merge(row, order: extractor.valueOrder)
                    } else {
                        merged.insert(row.copy(), for: gid)
                    }
                }
            }
            start += windows.paneSize
        }
        return Array(zip(merged.groups, merged.rows))
    }
}
