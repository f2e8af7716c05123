import CFileSync
import Foundation
import Synchronization

/// Every partition's log plus the group-commit writer in front of them.
///
/// `appendDurably` hands a request (events per partition) to one writer thread, which takes
/// every request queued meanwhile, appends them all, makes them durable (one `syncfs`, or an
/// fdatasync per touched partition: `SyncMode`) and then answers all of them: under load one
/// round covers many requests (group commit), and no request is answered before its events
/// are on disk.
public final class PartitionLogSet: Sendable {
    /// Events for one partition, already framed and checksummed (by the caller's thread, so
    /// the single writer thread only writes and syncs).
    public struct Batch: Sendable {
        public var partition: Int
        public var frames: [(bytes: [UInt8], count: Int)]
        /// Set for a batch of an idempotent producer: appended after the same producer's batches
        /// with lower sequences only, and left out when the log has it already.
        public var mark: LogFrame.ProducerMark?
        public var count: Int { frames.reduce(0) { $0 + $1.count } }

        /// - Parameters:
        ///   - lines: whole NDJSON lines, each ending in `\n`; split into frames under the size limit.
        ///   - compressed: store the frames zstd-compressed (`WLZ1`, see `LogFrame`).
        ///   - producer: the idempotent producer's id and the batch's sequence (both from 1), if any.
        public init(partition: Int, lines: [UInt8], count: Int, compressed: Bool = false, producer: (id: UInt64, seq: UInt64)? = nil) {
            self.partition = partition
            frames = lines.withUnsafeBytes { LogFrame.encodeFrames(lines: $0, count: count, compressed: compressed) }
            mark = producer.map { LogFrame.ProducerMark(producer: $0.id, seq: $0.seq, events: count) }
        }
    }

    struct Request: Sendable {
        var batches: [Batch]
        var done: DurabilityWaiter
    }

    /// Becomes ready when a queued request's events are durable (or failed to be).
    public final class DurabilityWaiter: Sendable {
        /// The partitions whose batch was left out as a duplicate (an idempotent producer's batch
        /// the log already holds).
        public typealias Duplicates = Set<Int>
        private let state = Mutex<(result: Result<Duplicates, LogError>?, waiter: CheckedContinuation<Duplicates, any Error>?)>((nil, nil))

        /// Returns once the events are durable, with the partitions whose batch the log had
        /// already; throws the log's error if they could not be made durable.
        @discardableResult
        public func wait() async throws -> Duplicates {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Duplicates, any Error>) in
                let ready = state.withLock { s -> Result<Duplicates, LogError>? in
                    if s.result == nil { s.waiter = c }
                    return s.result
                }
                if let ready { c.resume(with: ready.mapError { $0 as any Error }) }
            }
        }

        func complete(_ result: Result<Duplicates, LogError>) {
            let waiter = state.withLock { s -> CheckedContinuation<Duplicates, any Error>? in
                s.result = result
                defer { s.waiter = nil }
                return s.waiter
            }
            waiter?.resume(with: result.mapError { $0 as any Error })
        }
    }

    /// How a commit round makes its events durable.
    public enum SyncMode: String, Sendable, CaseIterable {
        /// One `fdatasync` per partition the round touched.
        case fdatasync
        /// One `syncfs` for the round when it touched several partitions (all on one file
        /// system): the device is flushed once instead of once per partition, which on this
        /// 2-core VM was ~20 % of the coordinator's CPU (each flush a VM exit). It also writes
        /// back whatever else is dirty on that file system, so give the log its own file system
        /// or choose `fdatasync` when it shares one with heavy writers.
        case syncfs
    }

    public let logs: [PartitionLog]
    /// The mode in effect: `syncfs` only when every partition directory is on one file system.
    public let syncMode: SyncMode
    private let queue = Mutex<[Request]>([])
    private let wake = DispatchSemaphore(value: 0)
    private let stopped = Atomic<Bool>(false)
    /// Commit rounds, requests served (requests / rounds = group-commit factor), and rounds
    /// made durable by one `syncfs`.
    private let counters = Mutex<(rounds: Int, requests: Int, fileSystemSyncs: Int)>((0, 0, 0))

    /// - Parameters:
    ///   - segmentBytesMax: size at which a partition's log starts a new segment; the log is
    ///     truncated a whole segment at a time, so this is its granularity.
    ///   - sync: how rounds are made durable (`syncfs` falls back to `fdatasync` when the
    ///     partition directories are not all on one file system).
    public init(root: String, partitionCount: Int, segmentBytesMax: Int = 64 << 20, sync: SyncMode = .syncfs) throws(LogError) {
        var logs: [PartitionLog] = []
        for p in 0..<partitionCount { logs.append(try PartitionLog(root: root, partition: p, segmentBytesMax: segmentBytesMax)) }
        self.logs = logs
        let devices = Set(logs.map { log -> UInt64? in
            var info = stat()
            return stat(log.directory, &info) == 0 ? UInt64(info.st_dev) : nil
        })
        syncMode = sync == .syncfs && devices.count == 1 && !devices.contains(nil) ? .syncfs : .fdatasync
        let thread = Thread { [self] in self.writerLoop() }
        thread.name = "weir-log-writer"
        thread.start()
    }

    /// Stops the writer thread after the queued requests.
    public func shutdown() {
        stopped.store(true, ordering: .sequentiallyConsistent)
        wake.signal()
    }

    public var commitCounters: (rounds: Int, requests: Int, fileSystemSyncs: Int) { counters.withLock { $0 } }

    /// Each idempotent producer's newest batch sequence in any partition's log.
    public var producerSequences: [UInt64: UInt64] {
        logs.reduce(into: [:]) { all, log in all.merge(log.producerSequences) { max($0, $1) } }
    }

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
            waiter.complete(.success([]))
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
            let (failure, syncedFileSystem, duplicates) = commit(requests)
            counters.withLock { $0.rounds += 1; $0.requests += requests.count; $0.fileSystemSyncs += syncedFileSystem ? 1 : 0 }
            for (i, r) in requests.enumerated() { r.done.complete(failure.map { .failure($0) } ?? .success(duplicates[i])) }
        }
    }

    /// Appends and makes durable every request's frames; the failure, if any, whether one
    /// `syncfs` did it, and per request the partitions whose batch was a duplicate.
    private func commit(_ requests: [Request]) -> (LogError?, Bool, [DurabilityWaiter.Duplicates]) {
        // Gathered per partition first, in request order, so each partition gets one write.
        var groups = Array(repeating: [(request: Int, group: PartitionLog.FrameGroup)](), count: logs.count)
        for (i, r) in requests.enumerated() {
            for b in r.batches where !b.frames.isEmpty { groups[b.partition].append((i, PartitionLog.FrameGroup(mark: b.mark, frames: b.frames))) }
        }
        var duplicates = Array(repeating: DurabilityWaiter.Duplicates(), count: requests.count)
        let touched = groups.indices.filter { !groups[$0].isEmpty }
        var syncedFileSystem = false
        do throws(LogError) {
            for p in touched {
                let skipped = try logs[p].append(groups: groups[p].map(\.group))
                for (k, wasDuplicate) in skipped.enumerated() where wasDuplicate { duplicates[groups[p][k].request].insert(p) }
            }
            if syncMode == .syncfs, touched.count > 1, let (fd, path) = logs[touched[0]].dirtyDescriptor {
                guard weir_syncfs(fd) == 0 else { throw LogError(path, "syncfs failed: \(String(cString: strerror(errno)))") }
                syncedFileSystem = true
                for p in touched { try logs[p].sync(flushed: true) }
            } else {
                for p in touched { try logs[p].sync() }
            }
            return (nil, syncedFileSystem, duplicates)
        } catch {
            return (error, syncedFileSystem, duplicates)
        }
    }
}
