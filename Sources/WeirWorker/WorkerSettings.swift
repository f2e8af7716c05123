/// How a worker runs. Defaults are documented per field; only the executable reads flags.
public struct WorkerSettings: Sendable {
    public var coordinatorHost = "127.0.0.1"
    /// A write token, when the coordinator was started with `--auth-tokens`.
    public var token: String?
    public var coordinatorPort = 7400
    /// Stable name; a restart gets a new incarnation under the same name.
    public var name: String
    /// Local state: the checkpoint store lives in `DATA/state`.
    public var dataDirectory: String
    /// How often each owned partition checkpoints. Default 1 s; 0 turns checkpoints off.
    public var checkpointIntervalMilliseconds: Int64 = 1_000
    /// Every this many checkpoints one is a base (all retained final rows), so a chain to
    /// restore never grows long. Default 64.
    public var deltasPerBase: UInt64 = 64
    /// How long a new owner keeps asking for a committed checkpoint whose replicas are
    /// unreachable (one may be restarting) before giving the partition up. Default 30 s.
    public var stateWaitMilliseconds: Int64 = 30_000
    /// When the replicas of a committed checkpoint are connected but silent (paused, starved), a
    /// new owner rebuilds from older state it holds instead of waiting, if that means processing
    /// at most this many events again. Default 500,000 (about a second of one engine thread).
    public var replayInsteadOfWaitingEvents: UInt64 = 500_000
    /// Bytes of events asked for per fetch. Default 256 KiB: a chunk is applied under the
    /// partition's lock, so smaller chunks keep queries from waiting long.
    public var fetchBytesMax = 256 << 10
    /// Final windows are kept for queries until the partition's watermark is this far past
    /// their end (event time). Default 1 hour.
    public var retentionMilliseconds: Int64 = 3_600_000

    public init(name: String, dataDirectory: String) {
        self.name = name
        self.dataDirectory = dataDirectory
    }
}
