import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One partition's durable event log: segment files of checksummed frames (`LogFrame`) in
/// `DIR/pNNNN/`, each named by the offset of its first event.
///
/// One writer appends (`append`, then `sync` for a group of appends); any thread reads. Readers
/// only see events up to `durableEnd`: an event is visible to workers only once it is fsync'd,
/// so no worker can count an event that a coordinator crash could still take back.
/// Opening recovers: frames are verified, a torn tail of the last segment is cut off.
public final class PartitionLog: Sendable {
    public let partition: Int
    public let directory: String
    public let segmentBytesMax: Int
    private let state: Mutex<State>

    struct Segment: Sendable {
        var firstOffset: UInt64
        let file: SegmentFile
        var size: Int
        var fd: Int32 { file.fd }
        var path: String { file.path }

        init(firstOffset: UInt64, path: String, fd: Int32, size: Int) {
            self.firstOffset = firstOffset
            file = SegmentFile(path: path, fd: fd)
            self.size = size
        }
    }

    /// An open segment file, closed when the last holder lets go: a fetch that copied the
    /// segment list keeps reading a segment that a truncation meanwhile removed and unlinked
    /// (closing it at once would fail that read, or let the descriptor's number be reused by
    /// another file under the reader).
    final class SegmentFile: Sendable {
        let path: String
        let fd: Int32

        init(path: String, fd: Int32) {
            self.path = path
            self.fd = fd
        }

        deinit { close(fd) }
    }

    struct FrameRef: Sendable {
        var firstOffset: UInt64
        var count: Int
        var segment: Int
        var position: Int
        var length: Int
    }

    struct State: Sendable {
        var segments: [Segment] = []
        var frames: [FrameRef] = []
        /// Next offset to write.
        var writtenEnd: UInt64 = 0
        /// Events below this are fsync'd and readable.
        var durableEnd: UInt64 = 0
        /// Frames below this index are durable.
        var durableFrames = 0
        var dirtySegments: Set<Int> = []
        /// Bytes cut off a torn tail at open.
        var truncatedBytes = 0
        /// Each idempotent producer's newest batch sequence in the log (`LogFrame.ProducerMark`).
        var producerSeqs: [UInt64: UInt64] = [:]
        /// Readers waiting for events at or after an offset (`waitForEvents`), by ticket.
        var waiters: [UInt64: (offset: UInt64, continuation: CheckedContinuation<Void, Never>)] = [:]
        var nextWaiter: UInt64 = 0
    }

    /// Opens (creating if needed) the log of `partition` under `root`.
    public init(root: String, partition: Int, segmentBytesMax: Int = 64 << 20) throws(LogError) {
        self.partition = partition
        self.segmentBytesMax = segmentBytesMax
        directory = root + "/" + String(format: "p%04d", partition)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw LogError(directory, "cannot create the partition directory: \(error.localizedDescription)")
        }
        state = Mutex(try PartitionLogRecovery.recover(directory: directory))
    }

    /// The offset after the last durable event.
    public var durableEnd: UInt64 { state.withLock { $0.durableEnd } }
    /// The offset after the last written (maybe not yet durable) event.
    public var writtenEnd: UInt64 { state.withLock { $0.writtenEnd } }
    public var truncatedBytesAtOpen: Int { state.withLock { $0.truncatedBytes } }
    public var segmentCount: Int { state.withLock { $0.segments.count } }

    /// Appends `count` events (NDJSON lines, each ending in `\n`) as one or more frames,
    /// zstd-compressed when `compressed`; they become readable after the next `sync()`.
    /// Returns the offset of the first event.
    @discardableResult
    public func append(lines payload: UnsafeRawBufferPointer, count: Int, compressed: Bool = false) throws(LogError) -> UInt64 {
        precondition(count > 0 && payload.last == 10, "a log append needs whole NDJSON lines")
        return try append(frames: LogFrame.encodeFrames(lines: payload, count: count, compressed: compressed))
    }

    /// Appends frames encoded beforehand (`LogFrame.encode`, any first offset: each is set here)
    /// with one write per segment they land in, rather than one per frame: the log writer's
    /// syscalls per commit round then grow with partitions, not with requests × partitions.
    /// They become readable after the next `sync()`. Returns the offset of the first event.
    @discardableResult
    public func append(frames: [(bytes: [UInt8], count: Int)]) throws(LogError) -> UInt64 {
        let first = writtenEnd
        _ = try append(groups: [FrameGroup(mark: nil, frames: frames)])
        return first
    }

    /// One batch's frames for this partition, with the mark of the idempotent producer's batch
    /// they belong to, if any.
    public struct FrameGroup: Sendable {
        public var mark: LogFrame.ProducerMark?
        public var frames: [(bytes: [UInt8], count: Int)]
        public init(mark: LogFrame.ProducerMark?, frames: [(bytes: [UInt8], count: Int)]) {
            self.mark = mark
            self.frames = frames
        }
    }

    /// Appends the groups in order, as `append(frames:)` does, and returns for each whether it
    /// was left out as a duplicate: a marked group whose producer already has that sequence (or
    /// a later one) in this log. A marked group never spans two segments, so recovery can cut
    /// an incomplete one off whole.
    public func append(groups: [FrameGroup]) throws(LogError) -> [Bool] {
        var run: [UInt8] = []
        run.reserveCapacity(groups.reduce(0) { $0 + $1.frames.reduce(0) { $0 + $1.bytes.count } + LogFrame.headerBytes + 20 })
        var refs: [FrameRef] = []
        var runSeqs: [UInt64: UInt64] = [:]
        return try state.withLock { s throws(LogError) -> [Bool] in
            var next = s.writtenEnd
            func flush(_ s: inout State) throws(LogError) {
                guard !run.isEmpty else { return }
                let index = s.segments.count - 1
                let seg = s.segments[index]
                if let failure = run.withUnsafeBytes({ PartitionLog.writeAll(seg.fd, $0, path: seg.path, at: seg.size) }) { throw failure }
                s.frames.append(contentsOf: refs)
                s.segments[index].size += run.count
                s.writtenEnd = next
                s.dirtySegments.insert(index)
                // Only what was written counts for deduplication.
                for (producer, seq) in runSeqs { s.producerSeqs[producer] = max(s.producerSeqs[producer] ?? 0, seq) }
                runSeqs.removeAll(keepingCapacity: true)
                run.removeAll(keepingCapacity: true)
                refs.removeAll(keepingCapacity: true)
            }
            func startSegmentIfFull(_ s: inout State, adding bytes: Int) throws(LogError) {
                let pending = s.segments.isEmpty ? 0 : s.segments[s.segments.count - 1].size + run.count
                if s.segments.isEmpty || pending + bytes > segmentBytesMax && pending > 0 {
                    try flush(&s)
                    try PartitionLogRecovery.startSegment(&s, directory: directory, firstOffset: next)
                }
            }
            func add(_ frame: [UInt8], count: Int, _ s: inout State) {
                let headerAt = run.count
                let position = s.segments[s.segments.count - 1].size + headerAt
                run.append(contentsOf: frame)
                run.withUnsafeMutableBytes { LogFrame.setFirstOffset(next, in: UnsafeMutableRawBufferPointer(rebasing: $0[headerAt...])) }
                guard count > 0 else { return }  // a mark is not read: it has no place in the index
                refs.append(FrameRef(firstOffset: next, count: count, segment: s.segments.count - 1,
                                     position: position + LogFrame.headerBytes, length: frame.count - LogFrame.headerBytes))
                next += UInt64(count)
            }
            var duplicates: [Bool] = []
            for group in groups {
                for (frame, count) in group.frames {
                    precondition(count > 0 && frame.count > LogFrame.headerBytes, "a log frame needs events")
                }
                guard let mark = group.mark else {
                    for (frame, count) in group.frames {
                        try startSegmentIfFull(&s, adding: frame.count)
                        add(frame, count: count, &s)
                    }
                    duplicates.append(false)
                    continue
                }
                precondition(mark.events == group.frames.reduce(0) { $0 + $1.count }, "a producer mark counts its group's events")
                if max(s.producerSeqs[mark.producer] ?? 0, runSeqs[mark.producer] ?? 0) >= mark.seq {
                    duplicates.append(true)
                    continue
                }
                let markFrame = LogFrame.encodeProducerMark(mark)
                try startSegmentIfFull(&s, adding: markFrame.count + group.frames.reduce(0) { $0 + $1.bytes.count })
                add(markFrame, count: 0, &s)
                for (frame, count) in group.frames { add(frame, count: count, &s) }
                runSeqs[mark.producer] = mark.seq
                duplicates.append(false)
            }
            try flush(&s)
            return duplicates
        }
    }

    /// Each idempotent producer's newest batch sequence in this log (written; durable after
    /// the next sync). Marks in segments truncated away are forgotten.
    public var producerSequences: [UInt64: UInt64] { state.withLock { $0.producerSeqs } }

    /// The offset of the oldest event still stored (segments before it were truncated).
    public var startOffset: UInt64 { state.withLock { $0.frames.first?.firstOffset ?? $0.writtenEnd } }

    /// Deletes every whole segment that ends at or before `offset` (events every reader has
    /// checkpointed past); the segment being written is always kept. Returns the segments removed.
    @discardableResult
    public func truncate(before offset: UInt64) -> Int {
        let removed: [Segment] = state.withLock { s in
            var n = 0
            while n + 1 < s.segments.count, s.segments[n + 1].firstOffset <= offset, s.segments[n + 1].firstOffset <= s.durableEnd,
                  !s.dirtySegments.contains(n) {
                n += 1
            }
            guard n > 0 else { return [] }
            let gone = Array(s.segments[0..<n])
            s.segments.removeFirst(n)
            let framesGone = s.frames.prefix { $0.segment < n }.count
            s.frames.removeFirst(framesGone)
            for i in s.frames.indices { s.frames[i].segment -= n }
            s.durableFrames -= framesGone
            s.dirtySegments = Set(s.dirtySegments.map { $0 - n })
            return gone
        }
        for seg in removed { unlink(seg.path) }  // closed once no reader holds it
        return removed.count
    }

    /// Makes every appended event durable (fdatasync) and readable.
    public func sync() throws(LogError) {
        try sync(flushed: false)
    }

    /// A file descriptor of a segment with appended events not yet durable, if any (for a
    /// `syncfs` of the file system under every partition's log).
    var dirtyDescriptor: (fd: Int32, path: String)? {
        state.withLock { s in s.dirtySegments.first.map { (s.segments[$0].fd, s.segments[$0].path) } }
    }

    /// Makes appended events durable and readable; `flushed`: the caller made the whole file
    /// system durable after they were written (`syncfs`), so no fdatasync is needed here.
    func sync(flushed: Bool) throws(LogError) {
        let (dirty, end) = state.withLock { s in (s.dirtySegments.map { s.segments[$0] }, s.writtenEnd) }
        for seg in dirty where !flushed && fdatasync(seg.fd) != 0 {
            throw LogError(seg.path, "fdatasync failed: \(String(cString: strerror(errno)))")
        }
        let woken = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.dirtySegments.removeAll()
            s.durableEnd = max(s.durableEnd, end)
            // Counted now, not before the fdatasync: a truncation meanwhile (another thread)
            // removed frames from the front of the index, and the writer appended none (it is
            // this thread). Every frame that starts before `end` is durable.
            var durable = s.frames.count
            while durable > 0 && s.frames[durable - 1].firstOffset >= end { durable -= 1 }
            s.durableFrames = max(s.durableFrames, durable)
            precondition(s.durableFrames <= s.frames.count, "partition \(partition): more durable frames than frames")
            let ready = s.waiters.filter { $0.value.offset < s.durableEnd }
            for ticket in ready.keys { s.waiters[ticket] = nil }
            return ready.values.map(\.continuation)
        }
        for waiter in woken { waiter.resume() }
    }

    /// Returns once an event at or after `offset` is durable (at once if one is), or when the
    /// calling task is cancelled: a reader's long poll blocks here instead of polling the log.
    public func waitForEvents(from offset: UInt64) async {
        let ticket = state.withLock { s -> UInt64 in s.nextWaiter += 1; return s.nextWaiter }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { s -> Bool in
                    guard s.durableEnd <= offset, !Task.isCancelled else { return true }
                    s.waiters[ticket] = (offset, c)
                    return false
                }
                if ready { c.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: ticket) }?.continuation.resume()
        }
    }

    /// Writes all of `bytes` at `position`; returns the failure, if any.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String, at position: Int) -> LogError? {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress.map { $0 + done }, bytes.count - done, off_t(position + done))
            if n < 0 {
                if errno == EINTR { continue }
                return LogError(path, offset: position + done, "write failed: \(String(cString: strerror(errno)))")
            }
            done += n
        }
        return nil
    }

    /// Frames overlapping `[offset, durableEnd)`, up to about `maxBytes`, copied under the lock.
    func durableFrames(from offset: UInt64, maxBytes: Int) -> (frames: [FrameRef], segments: [Segment], durableEnd: UInt64) {
        state.withLock { s in
            var lo = 0, hi = s.durableFrames
            while lo < hi {
                let mid = (lo + hi) / 2
                if s.frames[mid].firstOffset + UInt64(s.frames[mid].count) <= offset { lo = mid + 1 } else { hi = mid }
            }
            var picked: [FrameRef] = []
            var bytes = 0
            var i = lo
            while i < s.durableFrames && (picked.isEmpty || bytes + s.frames[i].length <= maxBytes) {
                picked.append(s.frames[i])
                bytes += s.frames[i].length
                i += 1
            }
            return (picked, s.segments, s.durableEnd)
        }
    }
}
