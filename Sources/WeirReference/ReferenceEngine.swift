import WeirCore

/// The reference implementation: obviously correct, slow, single-threaded.
///
/// It keeps every accepted event of every open window in a list and computes each aggregate from
/// the list at the end — no panes, no merging, no interning, its own JSON reader and its own
/// window enumeration. It shares only the spec parser, the value types and the definitions of
/// the two sketches (bucket mapping, hash, estimator), so approximate columns match the engine
/// exactly while exact columns check everything else. Tests and `weir verify` diff the engine
/// against it.
public final class ReferenceEngine {
    struct Record {
        var time: Int64
        var fields: [String: ReferenceJSON.Value]
    }

    struct SessionState {
        var start: Int64
        var end: Int64
        var records: [Record]
    }

    public let spec: JobSpec
    let rejectNested: Bool
    public private(set) var watermark: Int64 = .min
    var maxTime: Int64 = .min
    public private(set) var stats = EngineStats()
    public private(set) var lateLedger = LateLedger()
    var windows: [Window: [[FieldValue]: [Record]]] = [:]
    var openSessions: [[FieldValue]: [SessionState]] = [:]
    var closedSessions: [(group: [FieldValue], session: SessionState)] = []

    public init(spec: JobSpec, rejectNested: Bool = false) {
        self.spec = spec
        self.rejectNested = rejectNested
    }

    /// Processes one event line; returns the reason when it is rejected or late.
    @discardableResult
    public func process(line: [UInt8]) -> BadEventReason? {
        stats.events += 1
        let fields: [String: ReferenceJSON.Value]
        switch ReferenceJSON.parseObject(line, rejectNested: rejectNested) {
        case .success(let f): fields = f
        case .failure(let failure): return reject(failure.reason)
        }
        let time: Int64
        switch ReferenceValues.time(fields[spec.time.field], unit: spec.time.unit) {
        case .success(let t): time = t
        case .failure(let reason): return reject(reason)
        }
        if let filter = spec.filter, !filter.evaluate({ ReferenceValues.filterValue(fields[$0]) }) {
            stats.filtered += 1
            advance(time)
            return nil
        }
        if let reason = ReferenceValues.typeProblem(fields, spec: spec) { return reject(reason) }
        let group = spec.groupBy.map { ReferenceValues.groupValue(fields[$0]) }
        let record = Record(time: time, fields: fields)
        let late: Bool
        if case .session(let gap) = spec.window {
            late = addToSession(record, group: group, gap: gap)
        } else {
            late = addToWindows(record, group: group)
        }
        if late { stats.late += 1 } else { stats.accepted += 1 }
        advance(time)
        return late ? .late : nil
    }

    /// Counts a line too long to read.
    public func recordTooLong() {
        stats.events += 1
        _ = reject(.lineTooLong)
    }

    private func reject(_ reason: BadEventReason) -> BadEventReason {
        stats.rejectedByReason[reason, default: 0] += 1
        return reason
    }

    private func isFinal(_ end: Int64) -> Bool {
        end + spec.allowedLatenessMilliseconds <= watermark
    }

    private func addToWindows(_ record: Record, group: [FieldValue]) -> Bool {
        let all = ReferenceWindows.containing(record.time, spec.window)
        var added = false
        var someLate = false
        for w in all {
            if isFinal(w.end) {
                lateLedger.record(w)
                someLate = true
            } else {
                windows[w, default: [:]][group, default: []].append(record)
                added = true
            }
        }
        if added && someLate { stats.partiallyLate += 1 }
        return !added
    }

    private func addToSession(_ record: Record, group: [FieldValue], gap: Int64) -> Bool {
        let own = Window(start: record.time, end: record.time + gap)
        if isFinal(own.end) {
            lateLedger.record(own)
            return true
        }
        var sessions = openSessions[group] ?? []
        // Sessions that became final before this event are closed (finality never reverts).
        for s in sessions where isFinal(s.end) { closedSessions.append((group, s)) }
        sessions.removeAll { isFinal($0.end) }
        var merged = SessionState(start: own.start, end: own.end, records: [record])
        sessions.removeAll { s in
            guard s.start < own.end && own.start < s.end else { return false }
            merged.start = min(merged.start, s.start)
            merged.end = max(merged.end, s.end)
            merged.records += s.records
            return true
        }
        sessions.append(merged)
        openSessions[group] = sessions
        return false
    }

    private func advance(_ time: Int64) {
        maxTime = max(maxTime, time)
        let wm = maxTime - spec.watermarkDelayMilliseconds
        if wm > watermark { watermark = wm }
    }

    /// Every row, in canonical order. A window is final when the last watermark passed its end
    /// plus the allowed lateness; finality is decided here because it never reverts.
    public func finish() -> [RollupRow] {
        var rows: [RollupRow] = []
        for (w, groups) in windows {
            for (group, records) in groups {
                rows.append(RollupRow(window: w, group: group, cells: ReferenceAggregates.cells(records, spec: spec),
                                      isFinal: isFinal(w.end)))
            }
        }
        var sessions = closedSessions
        for (group, open) in openSessions { for s in open { sessions.append((group, s)) } }
        for (group, s) in sessions {
            rows.append(RollupRow(window: Window(start: s.start, end: s.end), group: group,
                                  cells: ReferenceAggregates.cells(s.records, spec: spec), isFinal: isFinal(s.end)))
        }
        rows.sort(by: RollupRow.canonicallyPrecedes)
        return rows
    }
}
