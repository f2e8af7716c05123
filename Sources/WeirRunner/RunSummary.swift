import Foundation
import WeirCore

/// The summary `weir run` prints to stderr.
public enum RunSummary {
    public static func text(_ r: JobRun.Report, engine: String, threads: Int) -> String {
        let s = r.stats
        let rate = r.elapsedSeconds > 0 ? Double(s.events) / r.elapsedSeconds : 0
        var lines = [
            "\(engine): \(s.events) events in \(String(format: "%.2f", r.elapsedSeconds)) s (\(String(format: "%.0f", rate)) events/s, \(threads) thread\(threads == 1 ? "" : "s"))",
            "  accepted \(s.accepted), filtered \(s.filtered), late \(s.late) (+\(s.partiallyLate) late for some windows), bad \(s.rejected)",
        ]
        if !s.rejectedByReason.isEmpty {
            let parts = s.rejectedByReason.sorted { $0.key < $1.key }.map { "\($0.key.rawValue) \($0.value)" }
            lines.append("  bad by reason: " + parts.joined(separator: ", "))
        }
        lines.append("  windows \(r.windowCount), rows \(r.rowCount) (\(r.notFinalRows) flushed at end of input before final), watermark \(r.watermark)")
        if r.lateLedger.total > 0 {
            lines.append("  late ledger: \(r.lateLedger.total) late window-events in \(r.lateLedger.counts.count) windows")
        }
        return lines.joined(separator: "\n")
    }
}
