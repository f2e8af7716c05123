/// A partition and the epoch it is held under.
public struct LeaseRef: Sendable, Equatable, Hashable {
    public var partition: Int
    public var epoch: UInt64
    public init(partition: Int, epoch: UInt64) { self.partition = partition; self.epoch = epoch }
}

/// One partition's answer to a rollup query: its partial rows plus what makes them complete.
public struct PartitionReport: Sendable, Equatable {
    public var lease: LeaseRef
    /// `Int64.min` before the partition's first event for this job.
    public var watermark: Int64
    /// Events of the partition's log processed so far.
    public var offset: UInt64
    /// Events covered by the partition's last committed checkpoint (≤ `offset`): rows built
    /// from events past it would be recomputed, identically, after a failover.
    public var committedOffset: UInt64 = 0
    public var accepted: Int64
    public var lateEvents: Int64
    public var rejected: Int64
    /// Events the job's filter dropped (they still advance the watermark).
    public var filtered: Int64 = 0
    /// The largest event time seen for this job (`Int64.min` before the first event).
    public var maxEventTime: Int64 = .min
    /// Every window starting at or after this has all its rows in the report (none left out
    /// by `last` or dropped by the worker's retention); `Int64.max` when that is not known.
    public var coveredFrom: Int64 = .max
    /// The latest window end among the rows this report carries (`Int64.min` when it carries
    /// none), or nil when not known. A `last` answer's newest window ends at least here, so
    /// the coordinator merges only rows within `last` of the newest of these.
    public var newestRowEnd: Int64?
    public var lateByWindow: [LateCount]
    public var rows: [PartialRow]
    /// More rows, already in wire form (`PartialRowCodec`): a worker encodes its rows straight
    /// from its state (final windows are kept encoded) and ships them as they are, and a decoded
    /// report keeps all its rows so: the coordinator merges them from these bytes.
    public var encodedRows: [UInt8] = []
    public var encodedRowCount = 0

    public init(lease: LeaseRef, watermark: Int64, offset: UInt64, accepted: Int64, lateEvents: Int64, rejected: Int64,
                lateByWindow: [LateCount], rows: [PartialRow], encodedRows: [UInt8] = [], encodedRowCount: Int = 0) {
        self.lease = lease
        self.watermark = watermark
        self.offset = offset
        self.accepted = accepted
        self.lateEvents = lateEvents
        self.rejected = rejected
        self.lateByWindow = lateByWindow
        self.rows = rows
        self.encodedRows = encodedRows
        self.encodedRowCount = encodedRowCount
    }

}

public struct LateCount: Sendable, Equatable {
    public var window: Window
    public var count: Int64
    public init(window: Window, count: Int64) { self.window = window; self.count = count }
}
