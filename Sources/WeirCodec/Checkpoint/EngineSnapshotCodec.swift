import WeirCore

/// Binary form of an `EngineSnapshot` inside a checkpoint.
///
/// ```
/// watermark i64 | max event time i64 | stats | late entries u32 | (start i64, end i64, count i64)…
/// | cells u32 | cell… (PartialRowCodec rows) | serials u32 | serial u64…
/// | changes u8 (0: a whole snapshot; 1: changes, followed by)
///   | dropped panes u32 | start i64… | session groups u32 | (values u16 | value…)…
/// stats: events, accepted, filtered, late, partially late, windows, rows (i64 each)
///        | reasons u16 | (reason string, count i64)…
/// ```
public enum EngineSnapshotCodec {
    public static func append(_ s: EngineSnapshot, to w: inout WireWriter) {
        w.i64(s.watermark)
        w.i64(s.maxEventTime)
        let st = s.stats
        for v in [st.events, st.accepted, st.filtered, st.late, st.partiallyLate, st.windowsEmitted, st.rowsEmitted] { w.i64(v) }
        let reasons = st.rejectedByReason.sorted { $0.key < $1.key }
        w.u16(UInt16(reasons.count))
        for (reason, count) in reasons { w.string(reason.rawValue); w.i64(count) }
        let late = s.lateLedger.sorted
        w.u32(UInt32(late.count))
        for entry in late { w.i64(entry.window.start); w.i64(entry.window.end); w.i64(entry.count) }
        w.u32(UInt32(s.cells.count))
        for cell in s.cells { PartialRowCodec.append(cell, to: &w) }
        w.u32(UInt32(s.serials.count))
        for serial in s.serials { w.u64(serial) }
        guard let changes = s.changes else { return w.u8(0) }
        w.u8(1)
        w.u32(UInt32(changes.droppedPanes.count))
        for start in changes.droppedPanes { w.i64(start) }
        w.u32(UInt32(changes.sessionGroups.count))
        for group in changes.sessionGroups {
            w.u16(UInt16(group.count))
            for v in group { w.value(v) }
        }
    }

    /// `layout`: how the cells' rows are written (`.fixed` in checkpoints before version 4).
    public static func decode(_ r: inout WireReader, layout: PartialRowCodec.Layout = .compact) throws(WireError) -> EngineSnapshot {
        let watermark = try r.i64("watermark"), maxEventTime = try r.i64("max event time")
        var stats = EngineStats()
        stats.events = try r.i64("events")
        stats.accepted = try r.i64("accepted")
        stats.filtered = try r.i64("filtered")
        stats.late = try r.i64("late")
        stats.partiallyLate = try r.i64("partially late")
        stats.windowsEmitted = try r.i64("windows emitted")
        stats.rowsEmitted = try r.i64("rows emitted")
        let reasons = Int(try r.u16("reason count"))
        for _ in 0..<reasons {
            let name = try r.string("reason")
            guard let reason = BadEventReason(rawValue: name) else { throw WireError("unknown rejection reason \"\(name)\"") }
            stats.rejectedByReason[reason] = try r.i64("reason count")
        }
        var late: [Window: Int64] = [:]
        for _ in 0..<(try r.count("late windows")) {
            let start = try r.i64("late window start"), end = try r.i64("late window end")
            guard start < end else { throw WireError("late window [\(start), \(end)) is empty") }
            late[Window(start: start, end: end)] = try r.i64("late count")
        }
        var cells: [PartialRow] = []
        for _ in 0..<(try r.count("cells")) { cells.append(try PartialRowCodec.decodeRow(&r, layout: layout)) }
        var serials: [UInt64] = []
        for _ in 0..<(try r.count("session serials")) { serials.append(try r.u64("session serial")) }
        guard serials.isEmpty || serials.count == cells.count else { throw WireError("\(serials.count) session serials for \(cells.count) cells") }
        var changes: SnapshotChanges?
        if try r.bool("changes flag") {
            var dropped: [Int64] = []
            for _ in 0..<(try r.count("dropped panes")) { dropped.append(try r.i64("dropped pane")) }
            var groups: [[FieldValue]] = []
            for _ in 0..<(try r.count("changed session groups")) {
                var group: [FieldValue] = []
                for _ in 0..<Int(try r.u16("group values")) { group.append(try r.value("group value")) }
                groups.append(group)
            }
            changes = SnapshotChanges(droppedPanes: dropped, sessionGroups: groups)
        }
        return EngineSnapshot(watermark: watermark, maxEventTime: maxEventTime, stats: stats,
                              lateLedger: LateLedger(counts: late), cells: cells, serials: serials, changes: changes)
    }
}
