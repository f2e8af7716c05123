import WeirCore

/// What a state reply without blobs tells a new owner about the partition's logs: from which
/// older state it may rebuild the committed one by processing the log (see `StateTransfer`).
public struct ReplayBounds: Sendable, Equatable {
    /// Per stream: the oldest offset still in the partition's log.
    public var logStarts: [StreamOffset]
    /// Per stream: the offset the committed checkpoint covers (how far a replay must go to catch up).
    public var committed: [StreamOffset]

    public init(logStarts: [StreamOffset], committed: [StreamOffset]) {
        self.logStarts = logStarts
        self.committed = committed
    }

    public static let none = ReplayBounds(logStarts: [], committed: [])

    /// A job the rebuilt state must serve: its name, spec digest and stream.
    public struct Job: Sendable, Equatable {
        public var name: String
        public var specDigest: UInt64
        public var stream: String
        public init(name: String, specDigest: UInt64, stream: String) {
            self.name = name
            self.specDigest = specDigest
            self.stream = stream
        }
    }

    /// How many events must be processed again to bring `state` (checkpoints of some jobs, or
    /// none) up to the committed offsets, serving `jobs`; nil when it cannot be done because the
    /// log no longer starts at or before where a job would resume. A job the state lacks (or
    /// holds under another spec) resumes from offset 0.
    public func replayDistance(from state: [JobCheckpoint], serving jobs: [Job]) -> UInt64? {
        guard !logStarts.isEmpty || jobs.isEmpty else { return nil }  // no bounds known: nothing is safe
        let kept = Dictionary(state.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
        var resumeAt: [String: UInt64] = [:]
        for job in jobs {
            let offset = kept[job.name].flatMap { $0.specDigest == job.specDigest ? $0.nextOffset : nil } ?? 0
            resumeAt[job.stream] = min(resumeAt[job.stream] ?? .max, offset)
        }
        let starts = Dictionary(logStarts.map { ($0.stream, $0.offset) }, uniquingKeysWith: max)
        let targets = Dictionary(committed.map { ($0.stream, $0.offset) }, uniquingKeysWith: max)
        var distance: UInt64 = 0
        for (stream, offset) in resumeAt {
            guard let start = starts[stream], start <= offset else { return nil }
            let target = targets[stream] ?? 0
            distance += target > offset ? target - offset : 0
        }
        return distance
    }
}
