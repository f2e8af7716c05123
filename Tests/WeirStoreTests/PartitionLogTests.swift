import Foundation
import Synchronization
import Testing
import WeirCodec
import WeirTestSupport
@testable import WeirStore

@Suite struct PartitionLogTests {
    static func tempDir() -> String {
        TestScratch.directory("weir-log")
    }

    static func lines(_ range: Range<Int>) -> [UInt8] {
        Array(range.map { "{\"n\":\($0)}\n" }.joined().utf8)
    }

    static func append(_ log: PartitionLog, _ range: Range<Int>) throws {
        let bytes = lines(range)
        try bytes.withUnsafeBytes { try log.append(lines: $0, count: range.count) }
    }

    /// Every durable line from `offset` on, read in chunks of about `maxBytes`; each chunk must
    /// start where the previous one ended.
    static func readInChunks(_ log: PartitionLog, from offset: UInt64, maxBytes: Int) throws -> [UInt8] {
        var offset = offset
        var seen: [UInt8] = []
        while offset < log.durableEnd {
            let chunk = try log.read(from: offset, maxBytes: maxBytes)
            #expect(chunk.firstOffset == offset && chunk.count > 0)
            seen += chunk.lines
            offset = chunk.nextOffset
        }
        return seen
    }

    @Test func appendedEventsAreReadableOnlyAfterSync_andReadsStartMidFrame() throws {
        let root = Self.tempDir()
        let log = try PartitionLog(root: root, partition: 3, segmentBytesMax: 4_000)
        try Self.append(log, 0..<100)
        #expect(log.durableEnd == 0)
        #expect(try log.read(from: 0).count == 0)
        try log.sync()
        for i in 1..<20 { try Self.append(log, (i * 100)..<((i + 1) * 100)) }
        try log.sync()
        #expect(log.durableEnd == 2_000)
        #expect(log.segmentCount > 1, "segments roll at the size limit")
        #expect(try Self.readInChunks(log, from: 37, maxBytes: 700) == Self.lines(37..<2_000))
    }

    @Test func framesAppendedTogetherRollSegmentsAndReadBackInOrder_alsoAfterReopening() throws {
        let root = Self.tempDir()
        let frames = stride(from: 0, to: 2_000, by: 37).map { start -> (bytes: [UInt8], count: Int) in
            let range = start..<min(start + 37, 2_000)
            // Encoded with a wrong first offset on purpose: the log sets each frame's own.
            return (Self.lines(range).withUnsafeBytes { LogFrame.encode(firstOffset: 999_999, count: range.count, payload: $0) }, range.count)
        }
        do {
            let log = try PartitionLog(root: root, partition: 2, segmentBytesMax: 5_000)
            try Self.append(log, 0..<1)  // one event before: the batch starts at offset 1
            try log.append(frames: Array(frames[..<20]))
            try log.append(frames: Array(frames[20...]))
            try log.sync()
            #expect(log.durableEnd == 2_001)
            #expect(log.segmentCount > 4, "a batch of frames rolls segments at the size limit")
            #expect(try Self.readInChunks(log, from: 1, maxBytes: 900) == Self.lines(0..<2_000))
        }
        let reopened = try PartitionLog(root: root, partition: 2, segmentBytesMax: 5_000)
        #expect(reopened.durableEnd == 2_001 && reopened.truncatedBytesAtOpen == 0)
        #expect(try reopened.read(from: 0, maxBytes: 1 << 20).lines == Self.lines(0..<1) + Self.lines(0..<2_000))
    }

    @Test func reopeningRecoversEveryEvent_andCutsOffATornTail() throws {
        let root = Self.tempDir()
        do {
            let log = try PartitionLog(root: root, partition: 0, segmentBytesMax: 1 << 20)
            try Self.append(log, 0..<50)
            try Self.append(log, 50..<80)
            try log.sync()
        }
        // A crash mid-write: half a frame at the end of the segment.
        let segment = root + "/p0000/" + String(format: "%020llu.seg", 0)
        let handle = try #require(FileHandle(forWritingAtPath: segment))
        handle.seekToEndOfFile()
        let frame = Self.lines(80..<90).withUnsafeBytes { LogFrame.encode(firstOffset: 80, count: 10, payload: $0) }
        handle.write(Data(frame.prefix(frame.count / 2)))
        try handle.close()
        let reopened = try PartitionLog(root: root, partition: 0)
        #expect(reopened.durableEnd == 80)
        #expect(reopened.truncatedBytesAtOpen == frame.count / 2)
        #expect(try reopened.read(from: 0, maxBytes: 1 << 20).lines == Self.lines(0..<80))
        try Self.append(reopened, 80..<90)
        try reopened.sync()
        #expect(try reopened.read(from: 75).lines == Self.lines(75..<90))
    }

    /// A reader's long poll blocks on the log: woken when events at its offset become durable
    /// (not when they are only written), and when its task is cancelled.
    @Test func aWaitingReaderIsWokenByDurableEventsOrItsCancellation() async throws {
        let log = try PartitionLog(root: Self.tempDir(), partition: 0)
        try Self.append(log, 0..<5)
        try log.sync()
        await log.waitForEvents(from: 4)  // there already: returns at once
        let woken = Mutex(false)
        let reader = Task {
            await log.waitForEvents(from: 5)
            woken.withLock { $0 = true }
        }
        try Self.append(log, 5..<8)
        try await Task.sleep(for: .milliseconds(50))  // written, not durable: still waiting
        #expect(!woken.withLock { $0 })
        try log.sync()
        await reader.value
        #expect(woken.withLock { $0 })

        let cancelled = Task { await log.waitForEvents(from: 100) }
        cancelled.cancel()
        await cancelled.value  // returns without any event at 100
    }

    @Test func aFlippedBitIsRefusedWithTheFileAndOffset() throws {
        let root = Self.tempDir()
        do {
            let log = try PartitionLog(root: root, partition: 1)
            try Self.append(log, 0..<10)
            try Self.append(log, 10..<20)
            try log.sync()
        }
        let segment = root + "/p0001/" + String(format: "%020llu.seg", 0)
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: segment)))
        bytes[30] ^= 0x04  // inside the first frame's payload
        try Data(bytes).write(to: URL(fileURLWithPath: segment))
        // The damaged frame is followed by a good one: corruption, not a torn tail.
        #expect(throws: LogError.self) { _ = try PartitionLog(root: root, partition: 1) }
        do {
            _ = try PartitionLog(root: root, partition: 1)
        } catch {
            #expect(error.offset == 0 && error.message.contains("checksum") && error.path.hasSuffix(".seg"))
        }
    }

    @Test func groupCommitAnswersEveryRequestAfterItsEventsAreDurable() async throws {
        let root = Self.tempDir()
        let set = try PartitionLogSet(root: root, partitionCount: 4)
        defer { set.shutdown() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for r in 0..<40 {
                group.addTask {
                    let p = r % 4
                    try await set.appendDurably([.init(partition: p, lines: Self.lines((r * 10)..<(r * 10 + 10)), count: 10)])
                    #expect(set.logs[p].durableEnd >= 10)
                }
            }
            try await group.waitForAll()
        }
        #expect(set.logs.map(\.durableEnd) == [100, 100, 100, 100])
        let counters = set.commitCounters
        #expect(counters.requests == 40 && counters.rounds <= 40)
    }

    /// Both sync modes: a round touching several partitions is made durable by one `syncfs`
    /// (or an fdatasync each), a round touching one by its fdatasync; every event is then
    /// readable, and all of them again after reopening.
    @Test(arguments: PartitionLogSet.SyncMode.allCases)
    func everySyncModeMakesEveryRoundReadable(mode: PartitionLogSet.SyncMode) async throws {
        let root = Self.tempDir()
        do {
            let set = try PartitionLogSet(root: root, partitionCount: 3, sync: mode)
            defer { set.shutdown() }
            #expect(set.syncMode == mode)  // one temporary directory: one file system
            try await set.appendDurably((0..<3).map { .init(partition: $0, lines: Self.lines(0..<5), count: 5) })
            #expect(set.commitCounters.fileSystemSyncs == (mode == .syncfs ? 1 : 0))
            try await set.appendDurably([.init(partition: 1, lines: Self.lines(5..<12), count: 7)])
            #expect(set.commitCounters.fileSystemSyncs == (mode == .syncfs ? 1 : 0) && set.commitCounters.rounds == 2)
            #expect(set.logs.map(\.durableEnd) == [5, 12, 5])
            #expect(try Self.readInChunks(set.logs[1], from: 3, maxBytes: 1 << 20) == Self.lines(3..<12))
        }
        let reopened = try PartitionLogSet(root: root, partitionCount: 3, sync: mode)
        defer { reopened.shutdown() }
        #expect(reopened.logs.map(\.durableEnd) == [5, 12, 5])
        #expect(try Self.readInChunks(reopened.logs[2], from: 0, maxBytes: 1 << 20) == Self.lines(0..<5))
    }

    @Test func coordinatorStoreKeepsEpochsStreamsAndJobsAcrossReopen() throws {
        let dir = Self.tempDir()
        do {
            let store = try CoordinatorStore(directory: dir)
            try store.setPartitionCount(8)
            try store.persistEpoch(partition: 3, epoch: 1)
            try store.persistEpoch(partition: 3, epoch: 2, holder: "w1#7")
            try store.putStream(name: "clicks", keyField: "user")
            try store.putStream(name: "raw", keyField: nil)
            try store.putJob(name: "a", specText: "name: a")
            try store.putJob(name: "b", specText: "name: b")
            try store.deleteJob(name: "a")
        }
        let store = try CoordinatorStore(directory: dir)
        #expect(try store.partitionCount() == 8)
        #expect(try store.epochs(partitionCount: 8) == [0, 0, 0, 2, 0, 0, 0, 0])
        #expect(try store.leaseHolders(partitionCount: 4) == ["", "", "", "w1#7"])
        #expect(try store.streams().map(\.name) == ["clicks", "raw"])
        #expect(try store.streams().map(\.keyField) == ["user", nil])
        #expect(try store.jobs().map(\.name) == ["b"])
    }
}

extension PartitionLogTests {
    @Test func truncationDeletesOnlyWholeSegmentsBehindTheOffset_andSurvivesReopening() throws {
        let root = Self.tempDir()
        let log = try PartitionLog(root: root, partition: 1, segmentBytesMax: 2_000)
        for i in 0..<30 { try Self.append(log, (i * 50)..<((i + 1) * 50)) }
        try log.sync()
        let before = log.segmentCount
        #expect(before > 5)
        let removed = log.truncate(before: 700)
        #expect(removed > 0 && log.segmentCount == before - removed)
        #expect(log.startOffset <= 700 && log.startOffset > 0)
        // Everything from the start offset on is still there, in order.
        let chunk = try log.read(from: 700, maxBytes: 1 << 20)
        #expect(chunk.firstOffset == 700)
        #expect(String(decoding: chunk.lines, as: UTF8.self).hasPrefix("{\"n\":700}\n"))
        // A reader behind the start gets the oldest stored events (a new job starts there).
        #expect(try log.read(from: 0, maxBytes: 100).firstOffset == log.startOffset)
        let start = log.startOffset
        let reopened = try PartitionLog(root: root, partition: 1, segmentBytesMax: 2_000)
        #expect(reopened.startOffset == start && reopened.durableEnd == 1_500)
        #expect(try reopened.read(from: 1_499).lines == Array("{\"n\":1499}\n".utf8))
    }
}

extension PartitionLogTests {
    /// Truncation runs on its own thread (behind each committed checkpoint) while the writer
    /// appends and syncs and fetches read. A sync that straddled a truncation used to count the
    /// frames it made durable from before the truncation, pointing readers past the end of the
    /// frame index (the coordinator crashed on its next fetch).
    @Test func truncatingWhileTheWriterSyncsAndReadersReadKeepsTheIndexConsistent() throws {
        let root = Self.tempDir()
        let log = try PartitionLog(root: root, partition: 2, segmentBytesMax: 1_000)
        final class Shared: Sendable {
            let done = Atomic<Bool>(false)
            let truncations = Atomic<Int>(0)
        }
        let shared = Shared()
        let truncator = Thread {
            while !shared.done.load(ordering: .relaxed) {
                let end = log.durableEnd
                if end > 40 { shared.truncations.add(log.truncate(before: end - 40), ordering: .relaxed) }
            }
        }
        truncator.start()
        var next = 0
        for _ in 0..<400 {
            try Self.append(log, next..<(next + 10))
            next += 10
            try log.sync()
            // Every event from the oldest kept one to the end reads back, in order.
            let chunk = try log.read(from: 0, maxBytes: 1 << 20)
            let numbers = String(decoding: chunk.lines, as: UTF8.self).split(separator: "\n").compactMap { Int($0.dropFirst(5).dropLast()) }
            #expect(numbers == Array(Int(chunk.firstOffset)..<Int(chunk.firstOffset) + chunk.count))
            #expect(chunk.firstOffset + UInt64(chunk.count) == UInt64(next))
        }
        shared.done.store(true, ordering: .relaxed)
        while !truncator.isFinished { Thread.sleep(forTimeInterval: 0.01) }
        #expect(shared.truncations.load(ordering: .relaxed) > 10)
        #expect(log.durableEnd == UInt64(next))
    }
}
