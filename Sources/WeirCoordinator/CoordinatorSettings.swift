import WeirCore
import WeirStore

/// How a coordinator runs. Defaults are documented per field; only the executable reads flags.
public struct CoordinatorSettings: Sendable {
    /// Holds `meta/` (LMDB: epochs, jobs, streams) and `log/` (partition logs).
    public var dataDirectory: String
    /// Worker and replay connections (binary protocol). Port 0 picks a free port.
    public var wireHost = "127.0.0.1"
    public var wirePort = 7400
    /// Fixed at the first start of a data directory; later starts must agree. Default 16.
    public var partitionCount = 16
    public var lease = LeaseSettings()
    /// Streams to declare at start if absent: name → key field (nil = hash of the whole event).
    public var streams: [(name: String, keyField: String?)] = []
    /// Rejected lines reported back per ingest request (all are counted). Default 100.
    public var ingestProblemsMax = 100
    /// A partition log starts a new segment at this size; segments are deleted whole once every
    /// job's committed checkpoint is past them, so this bounds what a log keeps behind its
    /// consumers. Default 64 MiB.
    public var segmentBytesMax = 64 << 20
    /// New partition log frames are written zstd-compressed: NDJSON events take ~5× less disk,
    /// but compressing at ingest and decompressing for every fetch cost more CPU than the
    /// smaller writes save (bench/cluster.sh: ~20 % fewer events/s on 2 cores). Logs of either
    /// kind are read. Default off.
    public var logCompression = false
    /// How the partition log's commit rounds are made durable: one `syncfs` per round
    /// (default; the data directory's file system is flushed once, not once per partition) or
    /// an `fdatasync` per partition (for a data directory sharing its file system with heavy
    /// writers). See `PartitionLogSet.SyncMode`.
    public var logSync: PartitionLogSet.SyncMode = .syncfs
    /// Longest event line accepted. Default 1 MiB.
    public var lineBytesMax = 1 << 20
    /// Upper bound of one fetch reply's events. Default 4 MiB.
    public var fetchBytesMax = 4 << 20
    /// How long a fetch waits for new events before answering empty. Default 1 s: the wait is
    /// blocked on the log (new events answer it at once), so a longer one only means fewer empty
    /// round trips on an idle cluster (16 partitions × 4 a second at 250 ms).
    public var fetchWaitMilliseconds: Int64 = 1_000
    /// How long a query waits for partition owners; partitions that have not answered by then
    /// are listed as missing in the answer. Default 30 s.
    public var queryTimeoutMilliseconds: Int64 = 30_000
    /// Merged rows of final windows kept per job (aligned windows only), so a query merges
    /// only the windows still open and the workers leave the kept ones out. 0 keeps none.
    /// Default 100,000.
    public var finalWindowRows = 100_000
    /// Replay connections may have this many ingest messages being committed at once. Default 8.
    public var ingestInFlightMax = 8

    /// Copies of each partition's checkpoints: the owner's and `replicationFactor - 1` standbys'
    /// (as many as other workers are connected). Default 2: one standby; 3 keeps a copy on a
    /// live worker when an owner and a standby fail together.
    public var replicationFactor = 2

    /// A partition whose log has not grown for this long is idle: it no longer holds its
    /// stream's jobs' watermarks back. Default 30 s.
    public var idleAfterMilliseconds: Int64 = 30_000

    /// When set, wire connections (workers, producers) must start with a write token.
    public var tokens: AuthTokens?

    public init(dataDirectory: String) { self.dataDirectory = dataDirectory }
}
