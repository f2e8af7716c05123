/// Builds a `RollupAnswer` from the partition reports of a fan-out query: merges partials with
/// `RollupMerger`, applies filters and top-n, and works out completeness.
public enum RollupAnswerBuilder {
    /// Merges a report's rows still in wire form (`PartitionReport.encodedRows`) into a merger,
    /// those whose window the predicate accepts: WeirCodec's `PartialRowCodec.merge` (this module
    /// cannot read the wire form).
    public typealias EncodedRowsMerge = (_ rows: [UInt8], _ count: Int, _ partition: Int, _ merger: RollupMerger,
                                         _ include: (Window) -> Bool) throws(RollupMerger.MergeError) -> Void

    /// - Parameters:
    ///   - reports: one per partition that answered (current epoch only).
    ///   - partitionCount: all partitions, so the missing ones can be named.
    public static func build(spec: JobSpec, query: RollupQuery, reports: [PartitionReport], partitionCount: Int) throws(APIError) -> RollupAnswer {
        try build(spec: spec, query: query, reports: reports, partitionCount: partitionCount, finals: nil).answer
    }

    /// The same, with the windows `finals` covers taken from it instead of from the reports, and
    /// `finals` grown by the windows this answer found final in every partition.
    /// `mergeEncoded` merges the reports' `encodedRows` (reports decoded from the wire carry
    /// all their rows so).
    public static func build(spec: JobSpec, query: RollupQuery, reports: [PartitionReport], partitionCount: Int,
                             finals: FinalWindowCache?, mergeEncoded: EncodedRowsMerge? = nil) throws(APIError) -> (answer: RollupAnswer, finals: FinalWindowCache?) {
        let merger = RollupMerger(spec: spec)
        // An encoded row is at least 5 bytes (compact layout: window start and span, final
        // flag, two counts): a count the bytes cannot hold reserves no more than they can.
        merger.reserve(rows: reports.reduce(0) { $0 + $1.rows.count + min($1.encodedRowCount, $1.encodedRows.count / 5) })
        var late: [Window: Int64] = [:]
        var accepted: Int64 = 0, lateEvents: Int64 = 0, rejected: Int64 = 0, filtered: Int64 = 0
        // Read once: per row, an optional cache's `covers` copied the cache (a retain and a release).
        let cachedStarts = finals?.starts ?? 0..<0
        let lower = mergedFrom(query, reports: reports)
        for report in reports {
            accepted += report.accepted
            filtered += report.filtered
            lateEvents += report.lateEvents
            rejected += report.rejected
            for l in report.lateByWindow where l.window.start >= query.from && l.window.start < query.to { late[l.window, default: 0] += l.count }
            let wanted = { (w: Window) in w.start >= lower && w.start < query.to && !cachedStarts.contains(w.start) }
            do throws(RollupMerger.MergeError) {
                for row in report.rows where wanted(row.window) { try merger.add(row, partition: report.lease.partition) }
                if report.encodedRowCount > 0 || !report.encodedRows.isEmpty {
                    guard let mergeEncoded else { throw .shape("its rows came encoded, and this build cannot merge them") }
                    try mergeEncoded(report.encodedRows, report.encodedRowCount, report.lease.partition, merger, wanted)
                }
            } catch {
                throw APIError.internal("partition \(report.lease.partition) sent a bad partial: \(error)")
            }
        }
        let reporting = Set(reports.map(\.lease.partition))
        let missing = (0..<partitionCount).filter { !reporting.contains($0) }
        let watermarks = reports.map(\.watermark).filter { $0 > .min }
        let watermark = watermarks.min()
        let lateness = spec.allowedLatenessMilliseconds
        let isFinal: (Window) -> Bool = { w in
            guard missing.isEmpty, let watermark else { return false }
            let (limit, overflow) = w.end.addingReportingOverflow(lateness)
            return !overflow && watermark >= limit
        }
        // A top-n answer ranks each window's rows itself (ties in canonical group order), so the
        // canonical sort of every merged row — most of a dashboard query's work — is left out.
        // Aligned windows only: there a group appears once per window, so that order is total.
        var aligned = true
        if case .session = spec.window { aligned = false }
        let rankedLater = query.top != nil && aligned
        let merged = merger.rows(isFinal: isFinal, canonicalOrder: !rankedLater)
        let grown = finals.map { grow($0, merged: merged, reports: reports, partitionCount: partitionCount, query: query, mergedFrom: lower) }
        let rows = try filter(merged, spec: spec, query: query)
        // Rows keep their order within a window (canonical unless ranked later).
        var windows: [RollupAnswer.WindowRows] = []
        var byWindow: [Window: Int] = [:]
        for row in rows {
            if let i = byWindow[row.window] { windows[i].rows.append(row); continue }
            byWindow[row.window] = windows.count
            windows.append(.init(window: row.window, isFinal: row.isFinal, lateEvents: late[row.window] ?? 0, rows: [row]))
        }
        if let finals {
            windows += try kept(finals, query: query, spec: spec, newestOpen: windows.map(\.window.end).max(), late: late)
        }
        windows.sort { $0.window < $1.window }
        if let last = query.lastMilliseconds, let newest = windows.map(\.window.end).max() {
            windows = windows.filter { $0.window.start >= newest - last }
        }
        for i in windows.indices {
            windows[i].groupCount = windows[i].rows.count
            windows[i].totals = WindowTotals.totals(windows[i].rows, spec: spec)
        }
        if let top = query.top { windows = try ranked(windows, top: top, by: query.by, spec: spec) }
        var answer = RollupAnswer(job: spec.name, groupBy: spec.groupBy, columns: spec.aggregates.flatMap(\.outputColumns), windows: windows,
                                  watermark: watermark, partitionsReporting: reporting.sorted(), partitionsMissing: missing,
                                  eventsAccepted: accepted, eventsLate: lateEvents, eventsRejected: rejected)
        answer.eventsFiltered = filtered
        return (answer, grown)
    }

    /// The earliest window start worth merging: `from`, or with `last` (and no `where`, which
    /// could leave the newest windows empty) the newest row end any report carries minus `last`.
    /// The answer's newest window ends at least there, so an earlier window cannot be in it:
    /// under ingest, a partition ahead in event time makes the others' rows of older windows
    /// most of what the reports carry.
    static func mergedFrom(_ query: RollupQuery, reports: [PartitionReport]) -> Int64 {
        guard let last = query.lastMilliseconds, query.filters.isEmpty,
              let newest = reports.compactMap(\.newestRowEnd).max(), newest > .min else { return query.from }
        let (cut, overflow) = newest.subtractingReportingOverflow(last)
        return overflow ? query.from : max(query.from, cut)
    }

    /// `finals` with the windows these reports show final in every partition: every partition
    /// answered with a watermark, so a window whose start is below the lowest watermark minus
    /// the longest window and the lateness is closed everywhere; and each report holds all rows
    /// of windows starting at or after its `coveredFrom`.
    static func grow(_ finals: FinalWindowCache, merged: [RollupRow], reports: [PartitionReport], partitionCount: Int,
                     query: RollupQuery, mergedFrom: Int64) -> FinalWindowCache {
        guard Set(reports.map(\.lease.partition)).count == partitionCount, reports.allSatisfy({ $0.watermark > .min }),
              let lowest = reports.map(\.watermark).min(), let bound = finals.finalStartBound(minimumWatermark: lowest),
              let covered = reports.map(\.coveredFrom).max() else { return finals }
        // Windows starting before `mergedFrom` were not merged: none of them can be kept.
        let lower = max(covered, mergedFrom)
        let range = lower..<max(lower, min(bound, query.to))
        guard !range.isEmpty else { return finals }
        var byWindow: [Window: [RollupRow]] = [:]
        for row in merged where range.contains(row.window.start) { byWindow[row.window, default: []].append(row) }
        var grown = finals
        grown.add(byWindow, covering: range)
        return grown
    }

    /// The kept final windows the query asks for, filtered by its `where`; with `last`, only
    /// those that can be within `last` of the newest window.
    static func kept(_ finals: FinalWindowCache, query: RollupQuery, spec: JobSpec, newestOpen: Int64?,
                     late: [Window: Int64]) throws(APIError) -> [RollupAnswer.WindowRows] {
        var out: [RollupAnswer.WindowRows] = []
        let candidates = finals.windows(from: query.from, to: query.to)
        var newest = newestOpen ?? .min
        var lower = Int64.min
        if let last = query.lastMilliseconds {
            // The newest kept window with a row that passes the filters (a window starting
            // earlier than the newest end minus the longest window cannot end later).
            for entry in candidates.reversed() {
                let (reach, overflow) = entry.window.start.addingReportingOverflow(finals.longestWindow)
                if !overflow, reach <= newest { break }
                if entry.window.end > newest, try !filter(entry.rows, spec: spec, query: query).isEmpty { newest = entry.window.end }
            }
            lower = newest.subtractingReportingOverflow(last).overflow ? .min : newest - last
        }
        for entry in candidates.reversed() {
            if entry.window.start < lower { break }
            let rows = try filter(entry.rows, spec: spec, query: query)
            guard !rows.isEmpty else { continue }
            out.append(.init(window: entry.window, isFinal: true, lateEvents: late[entry.window] ?? 0, rows: rows))
        }
        return out
    }

    static func filter(_ rows: [RollupRow], spec: JobSpec, query: RollupQuery) throws(APIError) -> [RollupRow] {
        guard !query.filters.isEmpty else { return rows }
        var conditions: [(index: Int, value: FieldValue)] = []
        for f in query.filters {
            guard let i = spec.groupBy.firstIndex(of: f.field) else {
                throw .badRequest("bad_where", "where=\(f.field)=…: job \(spec.name) groups by \(spec.groupBy.isEmpty ? "nothing" : spec.groupBy.joined(separator: ", ")), not \(f.field)")
            }
            conditions.append((i, f.value))
        }
        return rows.filter { row in conditions.allSatisfy { row.group[$0.index] == $0.value } }
    }

    static func ranked(_ windows: [RollupAnswer.WindowRows], top: Int, by: String?, spec: JobSpec) throws(APIError) -> [RollupAnswer.WindowRows] {
        guard top > 0 else { throw .badRequest("bad_top", "top must be a positive number, got \(top)") }
        let columns = spec.aggregates.flatMap(\.outputColumns)
        let column: Int
        if let by {
            guard let i = columns.firstIndex(of: by) else {
                throw .badRequest("bad_by", "by=\(by): job \(spec.name) has columns \(columns.joined(separator: ", "))")
            }
            column = i
        } else {
            column = 0
        }
        return windows.map { w in
            var out = w
            out.rows = best(top, of: w.rows, column: column)
            return out
        }
    }

    /// The `top` rows of one window by `column`, highest first; equal values in canonical group
    /// order (the window's rows may come in any order). Keeps a sorted list of the best so far,
    /// so picking 10 of 20,000 rows does not sort them all.
    static func best(_ top: Int, of rows: [RollupRow], column: Int) -> [RollupRow] {
        // By index over the rank values read once: comparing rows themselves copied each one
        // (a retain and release of its group and cells) per comparison, most of a ranked answer.
        let values = rows.map { $0.cells[column].rankValue }
        func before(_ a: Int, _ b: Int) -> Bool {
            values[a] != values[b] ? values[a] > values[b] : rows[a].group.canonicallyPrecedes(rows[b].group)
        }
        guard top < rows.count / 4 else { return rows.indices.sorted(by: before).prefix(top).map { rows[$0] } }
        var kept: [Int] = []
        kept.reserveCapacity(top + 1)
        for row in rows.indices {
            if kept.count == top, let last = kept.last, !before(row, last) { continue }
            var lo = 0, hi = kept.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if before(kept[mid], row) { lo = mid + 1 } else { hi = mid }
            }
            kept.insert(row, at: lo)
            if kept.count > top { kept.removeLast() }
        }
        return kept.map { rows[$0] }
    }
}

extension Cell {
    /// A number to rank rows by (nulls and text rank lowest).
    var rankValue: Double {
        switch self {
        case .integer(let i): return Double(i)
        case .decimal(let d): return d.doubleValue
        case .double(let d): return d
        default: return -.infinity
        }
    }
}
