import Foundation

/// The outcome of `weir verify`: per job, the cluster's rollups against the reference's, plus
/// what the chaos did and how fast partitions came back.
package struct VerifyReport {
    package struct JobResult {
        package var job: String
        package var rowsCompared: Int
        package var windowsCompared: Int
        /// Reference rows the cluster lacks or has different (`- ` lines), cluster rows the reference lacks (`+ `).
        package var missing: [String]
        package var extra: [String]
        package var referenceAccepted: Int64
        package var clusterAccepted: Int64
        /// Only windows ending at or after this (ms) were compared (the workers' retention had
        /// dropped older ones); nil: every window.
        package var windowsEndingFrom: Int64? = nil
        package var passed: Bool { missing.isEmpty && extra.isEmpty && referenceAccepted == clusterAccepted }
        package var eventsLost: Int64 { max(0, referenceAccepted - clusterAccepted) }
        package var eventsDuplicated: Int64 { max(0, clusterAccepted - referenceAccepted) }
    }

    package var jobs: [JobResult]
    package var kills: Int
    package var pauses: Int
    /// Workers added and removed (churn).
    package var joins = 0
    package var leaves = 0
    /// Copies of each checkpoint the cluster kept (1: no standby, new owners restore cold).
    package var replication = 2
    package var chaos: [String]
    package var failoversMs: [Int]
    package var silentFailoversMs: [Int]
    /// Failovers whose new owner was lost too before it read (a kill and a pause together).
    package var failoversWithNewOwnerLostMs: [Int] = []
    package var handoffsMs: [Int]
    /// Failovers after kill -9 until the new owner read past where the lost one had got.
    package var failoverCatchUpsMs: [Int] = []
    package var staleWritesRefused: Int
    package var checkpointsCommitted: Int
    package var failpointsReached: [String] = []
    package var failpointsNotReached: [String] = []
    /// Partition epochs seen going backwards (must be none).
    package var epochRegressions: [String] = []
    /// kill -9s of the coordinator (each restarted), and what the replay said it rode through.
    package var coordinatorKills = 0
    package var replayRideThrough: String?

    package var passed: Bool { jobs.allSatisfy(\.passed) && epochRegressions.isEmpty }

    /// Compares two CSV answers row by row (as multisets: canonical order is checked by the
    /// reference tests; here every row must be present exactly once).
    /// With `windowsEndingFrom`, only the header and the rows of windows ending at or after it
    /// take part (`window_end` is the second column).
    package static func compare(job: String, reference: String, cluster: String, referenceAccepted: Int64, clusterAccepted: Int64,
                        windowsEndingFrom: Int64? = nil) -> JobResult {
        let ref = rows(reference, endingFrom: windowsEndingFrom)
        let got = rows(cluster, endingFrom: windowsEndingFrom)
        var counts: [String: Int] = [:]
        for line in ref { counts[line, default: 0] += 1 }
        for line in got { counts[line, default: 0] -= 1 }
        let missing = ref.filter { (counts[$0] ?? 0) > 0 }
        let extra = got.filter { (counts[$0] ?? 0) < 0 }
        let windows = Set(ref.dropFirst().map { $0.split(separator: ",").prefix(2).joined(separator: ",") }).count
        return JobResult(job: job, rowsCompared: max(0, ref.count - 1), windowsCompared: windows, missing: Array(Set(missing)).sorted(),
                         extra: Array(Set(extra)).sorted(), referenceAccepted: referenceAccepted, clusterAccepted: clusterAccepted,
                         windowsEndingFrom: windowsEndingFrom)
    }

    /// The CSV's lines: the header, then the rows whose window ends at or after `from` (all of
    /// them when nil).
    package static func rows(_ csv: String, endingFrom from: Int64?) -> [String] {
        let lines = csv.split(separator: "\n", omittingEmptySubsequences: true)
        guard let from else { return lines.map(String.init) }
        return lines.enumerated().compactMap { i, line in
            i == 0 || (windowEnd(line) ?? .max) >= from ? String(line) : nil
        }
    }

    /// Where a worker whose final windows are kept for `retentionMs` of event time surely still
    /// holds every window of `reference`: windows ending at or after its newest window end minus
    /// the retention. (A partition drops a window only once it ends before the partition's
    /// watermark minus the retention, and no watermark passes the newest event, which is before
    /// the newest window end.)
    package static func retainedFrom(reference csv: String, retentionMs: Int64) -> Int64? {
        let newest = csv.split(separator: "\n", omittingEmptySubsequences: true).dropFirst().compactMap(windowEnd).max()
        return newest.map { $0 - retentionMs }
    }

    private static func windowEnd(_ line: Substring) -> Int64? {
        let columns = line.split(separator: ",", maxSplits: 2, omittingEmptySubsequences: false)
        return columns.count > 1 ? Int64(columns[1]) : nil
    }

    package static func percentile(_ values: [Int], _ q: Double) -> Int? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let rank = Int((Double(sorted.count) * q).rounded(.up)) - 1  // nearest-rank percentile
        return sorted[min(sorted.count - 1, max(0, rank))]
    }

    package var text: String {
        var out: [String] = []
        out.append("")
        out.append("weir verify: \(passed ? "PASS" : "FAIL")")
        for j in jobs {
            let scope = j.windowsEndingFrom.map { " (windows ending at or after \($0), inside the retention)" } ?? ""
            out.append("  \(j.passed ? "ok  " : "FAIL") \(j.job): \(j.rowsCompared) rows in \(j.windowsCompared) windows compared\(scope), "
                + "\(j.missing.count) missing or different, \(j.extra.count) extra; events accepted \(j.clusterAccepted) "
                + "(reference \(j.referenceAccepted)): \(j.eventsLost) lost, \(j.eventsDuplicated) duplicated")
            for line in j.missing.prefix(3) { out.append("         - \(line)") }
            for line in j.extra.prefix(3) { out.append("         + \(line)") }
        }
        out.append("  chaos: \(kills) kill -9, \(pauses) pauses, \(joins) joins, \(leaves) leaves (replication \(replication)); \(checkpointsCommitted) checkpoints committed; "
            + "\(staleWritesRefused) stale writes refused (0 accepted)")
        if coordinatorKills > 0 { out.append("  coordinator: \(coordinatorKills) kill -9 (each restarted)") }
        if let replayRideThrough { out.append("  replay: \(replayRideThrough)") }
        func summary(_ name: String, _ v: [Int]) -> String {
            guard let p50 = Self.percentile(v, 0.5), let p99 = Self.percentile(v, 0.99), let mx = v.max() else { return "  \(name): none" }
            return "  \(name): \(v.count), p50 \(p50) ms, p99 \(p99) ms, max \(mx) ms (loss of owner → new owner reading its log)"
        }
        if !failpointsReached.isEmpty || !failpointsNotReached.isEmpty {
            out.append("  failpoints: \(failpointsReached.count) reached (\(failpointsReached.joined(separator: ", ")))"
                + (failpointsNotReached.isEmpty ? "" : "; not reached: \(failpointsNotReached.joined(separator: ", "))"))
        }
        if !epochRegressions.isEmpty { out.append("  EPOCH REGRESSIONS: \(epochRegressions.prefix(5).joined(separator: "; "))") }
        out.append(summary("failovers after kill -9", failoversMs))
        out.append(summary("failovers after kill -9, until caught up", failoverCatchUpsMs).replacingOccurrences(of: "new owner reading its log", with: "new owner past where the old one had read"))
        out.append(summary("failovers after a pause", silentFailoversMs).replacingOccurrences(of: "loss of owner", with: "owner last heard of"))
        out.append(summary("failovers whose new owner was lost too (two faults)", failoversWithNewOwnerLostMs).replacingOccurrences(of: "loss of owner", with: "first loss"))
        out.append(summary("handoffs", handoffsMs).replacingOccurrences(of: "loss of owner", with: "release"))
        if !chaos.isEmpty { out.append("  schedule:"); out += chaos.map { "    " + $0 } }
        return out.joined(separator: "\n")
    }

    package var json: String {
        let object: [String: Any] = [
            "passed": passed, "kills": kills, "pauses": pauses, "joins": joins, "leaves": leaves, "replication": replication,
            "coordinator_kills": coordinatorKills, "replay_rode_through": replayRideThrough.map { $0 as Any } ?? NSNull(),
            "checkpoints_committed": checkpointsCommitted,
            "stale_writes_refused": staleWritesRefused, "failpoints_reached": failpointsReached,
            "failpoints_not_reached": failpointsNotReached, "epoch_regressions": epochRegressions, "failovers_ms": failoversMs, "silent_failovers_ms": silentFailoversMs,
            "failovers_new_owner_lost_ms": failoversWithNewOwnerLostMs, "handoffs_ms": handoffsMs,
            "failover_catch_ups_ms": failoverCatchUpsMs, "schedule": chaos,
            "jobs": jobs.map { j -> [String: Any] in
                ["job": j.job, "passed": j.passed, "rows_compared": j.rowsCompared, "windows_compared": j.windowsCompared,
                 "windows_ending_from": j.windowsEndingFrom.map { $0 as Any } ?? NSNull(),
                 "missing": j.missing.count, "extra": j.extra.count, "events_lost": j.eventsLost, "events_duplicated": j.eventsDuplicated,
                 "first_differences": Array(j.missing.prefix(5).map { "- " + $0 } + j.extra.prefix(5).map { "+ " + $0 })]
            },
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
