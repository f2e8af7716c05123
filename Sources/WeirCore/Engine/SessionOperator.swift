import HeapModule

/// Session windows: per group, events closer than the gap form one window `[first, last + gap)`.
///
/// An event is late when its own window `[t, t + gap)` is final. Otherwise it joins (and merges)
/// every open session of its group it overlaps. Finalized sessions are gone: an event can never
/// reopen a session that was already emitted.
final class SessionOperator {
    final class Session {
        var start: Int64
        var end: Int64
        let row: RowState
        var serial: UInt64
        init(start: Int64, end: Int64, row: RowState, serial: UInt64) {
            self.start = start
            self.end = end
            self.row = row
            self.serial = serial
        }
    }

    struct Deadline: Comparable {
        var end: Int64
        var group: UInt32
        var serial: UInt64
        static func < (a: Deadline, b: Deadline) -> Bool {
            if a.end != b.end { return a.end < b.end }
            return a.serial < b.serial
        }
    }

    let gap: Int64
    let lateness: Int64
    private var open: [UInt32: [Session]] = [:]
    private var deadlines = Heap<Deadline>()
    private var nextSerial: UInt64 = 0
    /// Whether groups whose sessions changed are recorded for incremental checkpoints (off
    /// unless the engine checkpoints: the set only empties when taken).
    var tracksChanges = false
    private var changedGroups = Set<UInt32>()

    init(gapMilliseconds: Int64, latenessMilliseconds: Int64) {
        gap = gapMilliseconds
        lateness = latenessMilliseconds
    }

    func isFinal(end: Int64, watermark wm: Int64) -> Bool {
        let (limit, overflow) = end.addingReportingOverflow(lateness)
        return !overflow && wm >= limit
    }

    func add(time t: Int64, group: UInt32, inputs: [AggregateInput], watermark wm: Int64,
             extractor: EventExtractor, ledger: inout LateLedger, job: CompiledJob) -> EventOutcome {
        let own = Window(start: t, end: t + gap)
        if isFinal(end: own.end, watermark: wm) {
            ledger.record(own)
            return .late
        }
        var sessions = open[group] ?? []
        var target: Session?
        var i = 0
        while i < sessions.count {
            let s = sessions[i]
            if s.start < own.end && own.start < s.end {
                if let target {
                    target.row.merge(s.row, order: extractor.valueOrder)
                    target.start = min(target.start, s.start)
                    target.end = max(target.end, s.end)
                    sessions.remove(at: i)
                    continue
                }
                target = s
            }
            i += 1
        }
        let session: Session
        if let target {
            session = target
            session.start = min(session.start, own.start)
            session.end = max(session.end, own.end)
        } else {
            session = Session(start: own.start, end: own.end, row: RowState.make(job), serial: 0)
            sessions.append(session)
        }
        nextSerial += 1
        session.serial = nextSerial
        deadlines.insert(Deadline(end: session.end, group: group, serial: session.serial))
        open[group] = sessions
        session.row.apply(inputs, time: t, extractor: extractor)
        if tracksChanges { changedGroups.insert(group) }
        return .added
    }

    /// No session starting before this will be emitted after now: open sessions keep their
    /// start or move it earlier only by merging with younger events, whose own windows must not
    /// be final (start > wm − lateness − gap).
    func emissionLowerBound(watermark wm: Int64) -> Int64 {
        guard wm > .min else { return .min }
        var bound = saturatingSubtract(wm, lateness, gap, 1)
        for sessions in open.values { for s in sessions where s.start < bound { bound = s.start } }
        return bound
    }

    func finalize(upTo wm: Int64, extractor: EventExtractor, job: CompiledJob, emit: WindowEmitter) {
        while let next = deadlines.min, isFinal(end: next.end, watermark: wm) {
            _ = deadlines.popMin()
            if let s = take(next) {
                if tracksChanges { changedGroups.insert(next.group) }
                emit(Window(start: s.start, end: s.end), [(next.group, s.row)], true)
            }
        }
    }

    func flush(extractor: EventExtractor, job: CompiledJob, emit: WindowEmitter) {
        if tracksChanges { changedGroups.formUnion(open.keys) }
        while let next = deadlines.popMin() {
            if let s = take(next) { emit(Window(start: s.start, end: s.end), [(next.group, s.row)], false) }
        }
        open.removeAll()
    }

    /// Removes and returns the session a deadline refers to, if it is still current.
    private func take(_ d: Deadline) -> Session? {
        guard var sessions = open[d.group],
              let index = sessions.firstIndex(where: { $0.serial == d.serial })
        else { return nil }
        let s = sessions.remove(at: index)
        open[d.group] = sessions.isEmpty ? nil : sessions
        return s
    }

    /// Every open session (with its serial) in the order of its last update, so that a restore
    /// gives equal-deadline sessions the same emission order; changes nothing.
    func forEachOpenInSerialOrder(_ body: (Window, UInt32, RowState, UInt64) -> Void) {
        var all: [(serial: UInt64, group: UInt32, session: Session)] = []
        all.reserveCapacity(open.count)
        for (group, sessions) in open { for s in sessions { all.append((s.serial, group, s)) } }
        all.sort { $0.serial < $1.serial }
        for e in all { body(Window(start: e.session.start, end: e.session.end), e.group, e.session.row, e.serial) }
    }

    /// The open sessions of every group changed since the last call (a group without any now:
    /// all its sessions closed), each with its serial; clears the changes. The groups are
    /// returned so that a checkpoint can list those left without sessions.
    func takeChanges(_ body: (Window, UInt32, RowState, UInt64) -> Void) -> [UInt32] {
        defer { changedGroups.removeAll(keepingCapacity: true) }
        for group in changedGroups {
            for s in open[group] ?? [] { body(Window(start: s.start, end: s.end), group, s.row, s.serial) }
        }
        return Array(changedGroups)
    }

    /// Forgets the changes recorded so far (a base checkpoint carries everything).
    func clearChanges() { changedGroups.removeAll(keepingCapacity: true) }

    /// Puts back one open session of a snapshot (taken in serial order) with a fresh deadline,
    /// under its snapshotted serial when there is one (so later checkpoints' serials continue it).
    func restore(window: Window, group: UInt32, row: RowState, serial: UInt64? = nil) {
        let assigned = serial ?? nextSerial + 1
        precondition(assigned > nextSerial, "session serials of a snapshot must increase (\(assigned) after \(nextSerial))")
        nextSerial = assigned
        open[group, default: []].append(Session(start: window.start, end: window.end, row: row, serial: assigned))
        deadlines.insert(Deadline(end: window.end, group: group, serial: assigned))
    }

    /// Every open session, not final; changes nothing.
    func forEachOpen(emit: WindowEmitter) {
        for (group, sessions) in open {
            for s in sessions { emit(Window(start: s.start, end: s.end), [(group, s.row)], false) }
        }
    }
}
