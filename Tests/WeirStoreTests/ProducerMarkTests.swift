import Foundation
import Testing
import WeirCodec
import WeirTestSupport
@testable import WeirStore

/// Idempotent producers in the partition log: a producer's batch is appended once however
/// often it is sent, the marks survive a restart, and a batch torn by a crash is cut off
/// whole, so a resend after the crash appends it exactly once.
@Suite struct ProducerMarkTests {
    static func group(_ range: Range<Int>, producer: UInt64, seq: UInt64, frameLines: Int = 1_000) -> PartitionLog.FrameGroup {
        var frames: [(bytes: [UInt8], count: Int)] = []
        var start = range.lowerBound
        while start < range.upperBound {
            let end = min(range.upperBound, start + frameLines)
            let bytes = PartitionLogTests.lines(start..<end)
            frames += bytes.withUnsafeBytes { LogFrame.encodeFrames(lines: $0, count: end - start) }
            start = end
        }
        return PartitionLog.FrameGroup(mark: LogFrame.ProducerMark(producer: producer, seq: seq, events: range.count), frames: frames)
    }

    @Test func aProducersBatchIsAppendedOnce_alsoWhenSentAgainAfterARestart() throws {
        let root = PartitionLogTests.tempDir()
        do {
            let log = try PartitionLog(root: root, partition: 0)
            #expect(try log.append(groups: [Self.group(0..<10, producer: 7, seq: 1), Self.group(10..<20, producer: 7, seq: 2)]) == [false, false])
            // A resend of both, and of batch 1 within one round next to batch 3: only 3 is new.
            #expect(try log.append(groups: [Self.group(0..<10, producer: 7, seq: 1), Self.group(10..<20, producer: 7, seq: 2)]) == [true, true])
            #expect(try log.append(groups: [Self.group(20..<25, producer: 7, seq: 3), Self.group(20..<25, producer: 7, seq: 3)]) == [false, true])
            // Another producer's sequences are its own.
            #expect(try log.append(groups: [Self.group(25..<30, producer: 8, seq: 1)]) == [false])
            try log.sync()
            #expect(log.durableEnd == 30)
            #expect(log.producerSequences == [7: 3, 8: 1])
            #expect(try log.read(from: 0, maxBytes: 1 << 20).lines == PartitionLogTests.lines(0..<30), "the marks are not events")
        }
        let reopened = try PartitionLog(root: root, partition: 0)
        #expect(reopened.producerSequences == [7: 3, 8: 1])
        #expect(try reopened.append(groups: [Self.group(20..<25, producer: 7, seq: 3), Self.group(30..<32, producer: 7, seq: 4)]) == [true, false])
        try reopened.sync()
        #expect(try reopened.read(from: 0, maxBytes: 1 << 20).lines == PartitionLogTests.lines(0..<32))
    }

    @Test func aBatchTornByACrashIsCutOffWhole_soItsResendIsAppendedOnce() throws {
        let root = PartitionLogTests.tempDir()
        let segment = root + "/p0000/" + String(format: "%020llu.seg", 0)
        var before = 0
        do {
            let log = try PartitionLog(root: root, partition: 0)
            _ = try log.append(groups: [Self.group(0..<100, producer: 3, seq: 1, frameLines: 40)])
            try log.sync()
            before = try #require(try FileManager.default.attributesOfItem(atPath: segment)[.size] as? Int)
            // Batch 2 in three frames; the crash leaves its mark and first frame only.
            _ = try log.append(groups: [Self.group(100..<200, producer: 3, seq: 2, frameLines: 40)])
            try log.sync()
        }
        let full = try #require(FileManager.default.contents(atPath: segment))
        let firstFrameEnd = before + 44 + 24 + PartitionLogTests.lines(100..<140).count
        try full.prefix(firstFrameEnd).write(to: URL(fileURLWithPath: segment))

        let reopened = try PartitionLog(root: root, partition: 0)
        #expect(reopened.durableEnd == 100, "batch 2 is gone whole, not its first 40 events")
        #expect(reopened.truncatedBytesAtOpen == firstFrameEnd - before)
        #expect(reopened.producerSequences == [3: 1])
        #expect(try reopened.append(groups: [Self.group(100..<200, producer: 3, seq: 2, frameLines: 40)]) == [false])
        try reopened.sync()
        #expect(try reopened.read(from: 0, maxBytes: 1 << 20).lines == PartitionLogTests.lines(0..<200))
    }

    @Test func aMarkedBatchNeverSpansTwoSegments() throws {
        let root = PartitionLogTests.tempDir()
        let log = try PartitionLog(root: root, partition: 0, segmentBytesMax: 2_000)
        for seq in 1...6 {
            let first = (Int(seq) - 1) * 60
            _ = try log.append(groups: [Self.group(first..<(first + 60), producer: 5, seq: UInt64(seq), frameLines: 20)])
        }
        try log.sync()
        // Every segment starts with a mark and holds whole batches of 60 events.
        let directory = root + "/p0000"
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".seg") }.sorted()
        #expect(names.count > 1)
        for name in names {
            let bytes = try #require(FileManager.default.contents(atPath: directory + "/" + name))
            #expect(bytes.prefix(4) == Data("WLP1".utf8), "\(name) starts with a producer mark")
            #expect((UInt64(name.dropLast(4)) ?? 1) % 60 == 0, "\(name) starts at a batch boundary")
        }
        let reopened = try PartitionLog(root: root, partition: 0, segmentBytesMax: 2_000)
        #expect(reopened.producerSequences == [5: 6] && reopened.durableEnd == 360)
    }
}
