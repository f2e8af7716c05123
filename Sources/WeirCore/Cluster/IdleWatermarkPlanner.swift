/// Keeps idle partitions from holding a job's watermark back forever.
///
/// Each partition runs a job with its own watermark (its newest event time − the job's delay),
/// and a window is final once every partition's watermark passed it. A partition that stops
/// receiving events (a key that went quiet) would keep every later window open. So: when a
/// partition has had no events for the idle time (`CoordinatorSettings.idleAfterMilliseconds`)
/// and its owner processed all of its log, the coordinator writes a `#watermark` record into
/// its log that moves the job's watermark there up to the lowest watermark of the active
/// partitions. Events that reach the partition later are judged against that watermark (late
/// for windows already final), exactly as in Flink's source idleness. Because the record is in
/// the log, a restore from a checkpoint replays it and reaches the same state.
///
/// When every partition is idle nothing moves: nothing says how far event time went.
public struct IdleWatermarkPlanner: Sendable {
    /// What the coordinator knows about one partition for one job.
    public struct PartitionState: Sendable, Equatable {
        public var partition: Int
        public var idle: Bool
        /// Its owner has processed every record of its log.
        public var caughtUp: Bool
        /// The job's watermark there (`Int64.min` before its first event); nil when its owner did
        /// not answer (the partition may be moving: then nothing is decided for the job).
        public var watermark: Int64?
        public init(partition: Int, idle: Bool, caughtUp: Bool, watermark: Int64?) {
            self.partition = partition; self.idle = idle; self.caughtUp = caughtUp; self.watermark = watermark
        }
    }

    /// A record is written again for a partition only once the target moved this far (each one
    /// is a log record, and processing-time ticks must not flood the log).
    public var stepMilliseconds: Int64
    /// Per job and partition: the watermark the last record moved it to.
    private var written: [String: [Int: Int64]] = [:]

    public init(stepMilliseconds: Int64 = 1_000) { self.stepMilliseconds = stepMilliseconds }

    /// The records to write now for `job`: (partition, new watermark).
    public mutating func plan(job: String, partitions: [PartitionState]) -> [(partition: Int, to: Int64)] {
        guard partitions.allSatisfy({ $0.watermark != nil }) else { return [] }
        let active = partitions.compactMap { p -> Int64? in
            guard !p.idle, let w = p.watermark, w > .min else { return nil }
            return w
        }
        guard let target = active.min() else { return [] }
        var out: [(partition: Int, to: Int64)] = []
        for p in partitions where p.idle && p.caughtUp {
            guard let watermark = p.watermark, watermark < target else { continue }
            let last = written[job]?[p.partition] ?? .min
            // Not before the previous record took effect, and only for a real step forward.
            guard watermark >= last, last == .min || target - last >= stepMilliseconds else { continue }
            written[job, default: [:]][p.partition] = target
            out.append((p.partition, target))
        }
        return out
    }

    /// Forgets a cancelled job.
    public mutating func forget(job: String) { written[job] = nil }
}
