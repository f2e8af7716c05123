/// A rollup query: which windows, which groups, how many.
public struct RollupQuery: Sendable, Equatable {
    /// Windows whose start is in `[from, to)` (event-time ms).
    public var from: Int64
    public var to: Int64
    /// Group-field equality filters (`where=page=p7`), all must hold.
    public var filters: [(field: String, value: FieldValue)]
    /// Keep the `top` groups per window ranked by column `by` (descending).
    public var top: Int?
    public var by: String?
    /// Keep only windows starting within this long before the newest window's end.
    public var lastMilliseconds: Int64?

    public init(from: Int64 = .min, to: Int64 = .max, filters: [(field: String, value: FieldValue)] = [], top: Int? = nil, by: String? = nil,
                lastMilliseconds: Int64? = nil) {
        self.lastMilliseconds = lastMilliseconds
        self.from = from
        self.to = to
        self.filters = filters
        self.top = top
        self.by = by
    }

    public static func == (a: RollupQuery, b: RollupQuery) -> Bool {
        a.from == b.from && a.to == b.to && a.top == b.top && a.by == b.by && a.lastMilliseconds == b.lastMilliseconds
            && a.filters.map(\.field) == b.filters.map(\.field) && a.filters.map(\.value) == b.filters.map(\.value)
    }
}

/// Where one partition's part of an answer came from.
public struct PartitionSource: Sendable, Equatable {
    public enum Source: String, Sendable {
        /// The partition's current owner, live.
        case primary
        /// Its committed checkpoint, rebuilt by a standby while the partition moves.
        case standby
        /// Nothing to serve: the partition has no events and no owner right now.
        case committed
    }
    public var partition: Int
    public var source: Source
    /// The epoch of the owner whose state this is (for `standby`: the one that committed it).
    public var ownerEpoch: UInt64
    /// Age of the state served (0 for primary).
    public var stalenessMilliseconds: Int64?
    public init(partition: Int, source: Source, ownerEpoch: UInt64, stalenessMilliseconds: Int64?) {
        self.partition = partition; self.source = source; self.ownerEpoch = ownerEpoch; self.stalenessMilliseconds = stalenessMilliseconds
    }
}

/// The merged answer to a rollup query, with what makes it complete or not.
public struct RollupAnswer: Sendable, Equatable {
    public struct WindowRows: Sendable, Equatable {
        public var window: Window
        /// No event can change this window any more (every partition's watermark passed end + lateness).
        public var isFinal: Bool
        /// Events that arrived after the window was final, summed over partitions.
        public var lateEvents: Int64
        public var rows: [RollupRow]
        /// Groups the window has (before `top` kept some of them).
        public var groupCount = 0
        /// Per output column, the total over all the window's groups where one is meaningful
        /// (count and sum columns; nil for the others): what a chart of the window plots.
        public var totals: [Cell?] = []
        public init(window: Window, isFinal: Bool, lateEvents: Int64, rows: [RollupRow]) {
            self.window = window; self.isFinal = isFinal; self.lateEvents = lateEvents; self.rows = rows
        }
    }

    public var job: String
    public var groupBy: [String]
    public var columns: [String]
    public var windows: [WindowRows]
    /// The lowest watermark over partitions that have seen events (nil: none yet).
    public var watermark: Int64?
    public var partitionsReporting: [Int]
    /// Partitions whose owner did not answer (being moved, or no live worker): the answer lacks their events.
    public var partitionsMissing: [Int]
    public var eventsAccepted: Int64
    public var eventsLate: Int64
    public var eventsRejected: Int64
    /// Events the job's filter dropped.
    public var eventsFiltered: Int64 = 0
    /// Events durably in the logs of the reporting partitions that their owners have not
    /// processed yet: 0 means the answer covers every event acknowledged so far.
    public var eventsBehind: UInt64 = 0
    /// Events the answer includes that are not yet covered by a committed checkpoint. Such
    /// events are in the durable log, so after a failover they are processed again from the
    /// last committed checkpoint and give the same rows; 0 means every row is committed.
    public var eventsUncommitted: UInt64 = 0

    public init(job: String, groupBy: [String], columns: [String], windows: [WindowRows], watermark: Int64?,
                partitionsReporting: [Int], partitionsMissing: [Int], eventsAccepted: Int64, eventsLate: Int64, eventsRejected: Int64) {
        self.job = job; self.groupBy = groupBy; self.columns = columns; self.windows = windows; self.watermark = watermark
        self.partitionsReporting = partitionsReporting; self.partitionsMissing = partitionsMissing
        self.eventsAccepted = eventsAccepted; self.eventsLate = eventsLate; self.eventsRejected = eventsRejected
    }

    public var isComplete: Bool { partitionsMissing.isEmpty }

    /// Where each answering partition's rows came from.
    public var sources: [PartitionSource] = []

    /// `primary` when every partition answered from its live owner, else `standby` (some came
    /// from committed checkpoints at standbys) or `committed` (only empty partitions stood in).
    public var source: PartitionSource.Source {
        if sources.contains(where: { $0.source == .standby }) { return .standby }
        if sources.contains(where: { $0.source == .committed }) { return .committed }
        return .primary
    }

    /// How old the oldest stand-in state is (0 when every partition answered live; nil when
    /// a commit time is unknown, after a coordinator restart).
    public var stalenessMilliseconds: Int64? {
        var worst: Int64 = 0
        for s in sources where s.source != .primary {
            guard let ms = s.stalenessMilliseconds else { return nil }
            worst = max(worst, ms)
        }
        return worst
    }
}

extension RollupAnswer {
    /// Where its newest window ends; nil when it has no window. What `last` counts back from.
    public var newestWindowEnd: Int64? { windows.lazy.map(\.window.end).max() }
}
