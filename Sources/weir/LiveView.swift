import Foundation
import WeirTools
import WeirCore
import WeirRunner

/// `weir run --live`: one stderr line per window as it becomes final, with its first rows.
enum LiveView {
    static let rowsShown = 3

    static func print(_ rows: [RollupRow], spec: JobSpec) {
        var start = rows.startIndex
        while start < rows.endIndex {
            let window = rows[start].window
            var end = start
            while end < rows.endIndex && rows[end].window == window { end += 1 }
            let shown = rows[start..<min(end, start + rowsShown)].map { row in
                zip(spec.groupBy + spec.outputColumns.dropFirst(spec.groupBy.count), row.group.map(\.description) + row.cells.map(\.description))
                    .map { "\($0)=\($1)" }.joined(separator: " ")
            }
            let more = end - start > rowsShown ? " … (+\(end - start - rowsShown) groups)" : ""
            printError("final \(iso(window.start))…\(iso(window.end)) \(end - start) group(s): \(shown.joined(separator: " | "))\(more)")
            start = end
        }
    }

    static func iso(_ ms: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }
}
