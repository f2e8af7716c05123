import Foundation
import Synchronization

/// Every partition's log plus the group-commit writer in front of them.
///
/// `appendDurably` hands a request (events per partition) to one writer thread, which takes
/// every request queued meanwhile, appends them all, fsyncs each touched partition once and
/// then answers all of them: under load one fsync round covers many requests (group commit),
/// and no request is answered before its events are on disk.
public final class PartitionLogSet: Sendable {
    /// Events for one partition, already framed and checksummed (by the caller's thread, so
    /// the single writer thread only writes and syncs).
    public struct Batch: Sendable {
        public var partition: Int
        public var frames: [(bytes: [UInt8], count: Int)]
        public var count: Int { frames.reduce(0) { $0 + $1.count } }

        /// - Parameters:
        ///   - lines: whole NDJSON lines, each ending in `\n`; split into frames under the size limit.
        ///   - compressed: store the frames zstd-compressed (`WLZ1`, see `LogFrame`).
        public init(partition: Int, lines: [UInt8], count: Int, compressed: Bool = false) {
            self.partition = partition
            frames = lines.withUnsafeBytes { LogFrame.encodeFrames(lines: $0, count: count, compressed: compressed) }
        }
    }

    struct Request: Sendable {
        var batches: [Batch]
        var done: DurabilityWaiter
    }

    /// Becomes ready when a queued request's events are durable (or failed to be).
    public final class DurabilityWaiter: Sendable {
        private let state = Mutex<(result: Result<Void, LogError>?, waiter: CheckedContinuation<Void, any Error>?)>((nil, nil))

        /// Returns once the events are durable; throws the log's error if they could not be.
        public func wait() async throws {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                let ready = state.withLock { s -> Result<Void, LogError>? in
                    if s.result == nil { s.waiter = c }
                    return s.result
                }
                if let ready { c.resume(with: ready.mapError { $0 as any Error }) }
            }
        }

        func complete(_ result: Result<Void, LogError>) {
            let waiter = state.withLock { s -> CheckedContinuation<Void, any Error>? in
                s.result = result
                defer { s.waiter = nil }
                return s.waiter
            }
            waiter?.resume(with: result.mapError { $0 as any Error })
        }
    }

    public let logs: [PartitionLog]
    private let queue = Mutex<[Request]>([])
    private let wake = DispatchSemaphore(value: 0)
    private let stopped = Atomic<Bool>(false)
    /// Fsync rounds and requests served, for metrics (requests / rounds = group-commit factor).
    private let counters = Mutex<(rounds: Int, requests: Int)>((0, 0))

    /// - Parameter segmentBytesMax: size at which a partition's log starts a new segment; the
    ///   log is truncated a whole segment at a time, so this is its granularity.
    public init(root: String, partitionCount: Int, segmentBytesMax: Int = 64 << 20) throws(LogError) {
        var logs: [PartitionLog] = []
        for p in 0..<partitionCount { logs.append(try PartitionLog(root: root, partition: p, segmentBytesMax: segmentBytesMax)) }
        self.logs = logs
        let thread = Thread { [self] in self.writerLoop() }
        thread.name = "weir-log-writer"
        thread.start()
    }

    /// Stops the writer thread after the queued requests.
    public func shutdown() {
        stopped.store(true, ordering: .sequentiallyConsistent)
        wake.signal()
    }

    public var commitCounters: (rounds: Int, requests: Int) { counters.withLock { $0 } }

    /// Appends the batches and returns once they are durable (and readable by workers).
    public func appendDurably(_ batches: [Batch]) async throws {
        try await enqueue(batches).wait()
    }

    /// Queues the batches at once — the log keeps the order of these calls — and returns what
    /// to wait on for their durability. A producer that pipelines requests enqueues them in its
    /// own order, so its events keep their order in every partition.
    public func enqueue(_ batches: [Batch]) -> DurabilityWaiter {
        for b in batches {
            precondition(b.partition >= 0 && b.partition < logs.count, "partition \(b.partition) out of range")
        }
        let waiter = DurabilityWaiter()
        guard batches.contains(where: { $0.count > 0 }) else {
            waiter.complete(.success(()))
            return waiter
        }
        queue.withLock { $0.append(Request(batches: batches, done: waiter)) }
        wake.signal()
        return waiter
    }

    private func writerLoop() {
        while true {
            wake.wait()
            let requests = queue.withLock { q -> [Request] in defer { q.removeAll() }; return q }
            if requests.isEmpty {
                if stopped.load(ordering: .sequentiallyConsistent) { return }
                continue
            }
            let failure = commit(requests)
            counters.withLock { $0.rounds += 1; $0.requests += requests.count }
            for r in requests { r.done.complete(failure.map { .failure($0) } ?? .success(())) }
        }
    }

    private func commit(_ requests: [Request]) -> LogError? {
        // Gathered per partition first, in request order, so each partition gets one write.
        var frames = Array(repeating: [(bytes: [UInt8], count: Int)](), count: logs.count)
        for r in requests {
            for b in r.batches { frames[b.partition].append(contentsOf: b.frames) }
        }
        do throws(LogError) {
            for p in frames.indices where !frames[p].isEmpty { try logs[p].append(frames: frames[p]) }
            for p in frames.indices where !frames[p].isEmpty { try logs[p].sync() }
            return nil
        } catch {
            return error
        }
    }
}
