/// The merged rows of a job's final windows, kept by the coordinator so that a query merges only
/// the windows still open: a dashboard asking for the last minute every second otherwise merges
/// every partition's partials of every window in that minute again each time.
///
/// Only aligned windows (tumbling, hopping, cumulate) are kept: there a window is final in every
/// partition once every partition's watermark has passed its end plus the allowed lateness, and
/// after that no partition changes its rows (a later event is counted late, not added), and a
/// replay after a failover rebuilds the same rows. Session windows merge across partitions by
/// overlap, so a start does not name a fixed set of rows; they are not kept.
public struct FinalWindowCache: Sendable {
    /// The job as it was when these rows were merged (another version of the job starts over).
    public let spec: JobSpec
    /// Every window whose start is in this range is final everywhere and has its merged rows
    /// here (a window with no rows has no entry).
    public private(set) var starts: Range<Int64> = 0..<0
    /// The windows by (start, end), each with its rows in canonical order.
    public private(set) var windows: [(window: Window, rows: [RollupRow])] = []
    public private(set) var rowCount = 0
    /// At most this many rows are kept; the oldest windows go first.
    public let rowLimit: Int
    /// The longest window of the job: a start `s` is final everywhere once `s + longest +
    /// lateness` is at or below every partition's watermark.
    let longestWindow: Int64

    /// A cache for `spec`, or nil for a job whose windows cannot be kept (sessions) or when
    /// `rowLimit` is 0.
    public init?(spec: JobSpec, rowLimit: Int = 100_000) {
        guard rowLimit > 0, let longest = spec.window.longestMilliseconds else { return nil }
        longestWindow = longest
        self.spec = spec
        self.rowLimit = rowLimit
    }

    /// True when `start`'s windows come from this cache (and partitions' rows for them are not needed).
    public func covers(_ start: Int64) -> Bool { starts.contains(start) }

    /// The starts of the windows that are final in every partition, given the lowest watermark
    /// of all partitions: `..<bound`. Nil when none is.
    func finalStartBound(minimumWatermark: Int64) -> Int64? {
        let (reach, overflow) = longestWindow.addingReportingOverflow(spec.allowedLatenessMilliseconds)
        guard !overflow else { return nil }
        let (bound, under) = minimumWatermark.subtractingReportingOverflow(reach)
        guard !under, bound < .max else { return nil }
        return bound + 1
    }

    /// The kept windows whose start is in `[from, to)`, ascending.
    func windows(from: Int64, to: Int64) -> ArraySlice<(window: Window, rows: [RollupRow])> {
        let lower = windows.partitioningIndex { $0.window.start >= from }
        let upper = windows.partitioningIndex { $0.window.start >= to }
        return windows[lower..<max(lower, upper)]
    }

    /// Adds the merged rows of every window whose start is in `range` (all of them final).
    /// A range that does not touch the kept one replaces it when it is newer.
    mutating func add(_ rows: [Window: [RollupRow]], covering range: Range<Int64>) {
        guard !range.isEmpty else { return }
        let fresh = rows.filter { range.contains($0.key.start) && !starts.contains($0.key.start) }
        // Most queries find nothing new: leave the kept windows as they are (no copy, no sort).
        if fresh.isEmpty, starts.lowerBound <= range.lowerBound, range.upperBound <= starts.upperBound { return }
        if starts.isEmpty || range.lowerBound > starts.upperBound || range.upperBound < starts.lowerBound {
            guard starts.isEmpty || range.upperBound > starts.upperBound else { return }
            windows = []
            rowCount = 0
            starts = range
        } else {
            starts = min(starts.lowerBound, range.lowerBound)..<max(starts.upperBound, range.upperBound)
        }
        for (window, windowRows) in fresh {
            precondition(windowRows.allSatisfy { $0.isFinal }, "only final windows are kept")
            windows.append((window, RollupRow.sortedCanonically(windowRows)))
            rowCount += windowRows.count
        }
        windows.sort { $0.window < $1.window }
        // Over the limit: the oldest windows go, and the range starts at the oldest one kept.
        var dropped = 0
        while rowCount > rowLimit, dropped < windows.count {
            rowCount -= windows[dropped].rows.count
            dropped += 1
        }
        // A start's windows go together (cumulate windows share starts): the range covers whole starts.
        while dropped > 0, dropped < windows.count, windows[dropped].window.start == windows[dropped - 1].window.start {
            rowCount -= windows[dropped].rows.count
            dropped += 1
        }
        if dropped > 0 {
            windows.removeFirst(dropped)
            starts = (windows.first?.window.start ?? starts.upperBound)..<starts.upperBound
        }
    }
}

extension Collection {
    /// The first index whose element satisfies `predicate`, for a predicate that is false then
    /// true along the collection (binary search).
    func partitioningIndex(where predicate: (Element) -> Bool) -> Index {
        var low = startIndex, count = self.count
        while count > 0 {
            let half = count / 2
            let mid = index(low, offsetBy: half)
            if predicate(self[mid]) {
                count = half
            } else {
                low = index(after: mid)
                count -= half + 1
            }
        }
        return low
    }
}
