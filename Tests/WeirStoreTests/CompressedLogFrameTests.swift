import Foundation
import Testing
import WeirCodec
import WeirCore
import WeirTestSupport
@testable import WeirStore

/// Partition logs with zstd-compressed frames (`WLZ1`, `--log-compression zstd`): mixed with
/// plain frames, read from any offset, recovered after reopening; a compressed payload that
/// passes its CRC but is not a usable zstd frame is refused with the file and offset.
@Suite struct CompressedLogFrameTests {
    static func lines(_ range: Range<Int>) -> [UInt8] {
        Array(range.map { "{\"ts\":\(1_767_225_600_000 + $0),\"user\":\"u\($0 % 977)\",\"page\":\"p\($0 % 31)\"}\n" }.joined().utf8)
    }

    static func append(_ log: PartitionLog, _ range: Range<Int>, compressed: Bool) throws {
        try lines(range).withUnsafeBytes { try log.append(lines: $0, count: range.count, compressed: compressed) }
    }

    static func segmentBytes(_ root: String, partition: Int) throws -> [UInt8] {
        let dir = root + String(format: "/p%04d", partition)
        var all: [UInt8] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: dir).sorted() where name.hasSuffix(".seg") {
            all += try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir + "/" + name)))
        }
        return all
    }

    static func count(of magic: [UInt8], in bytes: [UInt8]) -> Int {
        var n = 0, i = 0
        while i + magic.count <= bytes.count {
            if Array(bytes[i..<(i + magic.count)]) == magic { n += 1; i += magic.count } else { i += 1 }
        }
        return n
    }

    @Test func compressedAndPlainFramesMix_readFromEveryKindOfOffset_andSurviveReopening() throws {
        let root = TestScratch.directory("weir-log-zstd")
        // Batches of uneven sizes, alternately compressed and plain.
        var batches: [(Range<Int>, Bool)] = []
        var start = 0
        for (i, size) in [400, 1, 250, 3, 700, 97, 1_000, 2].enumerated() {
            batches.append((start..<(start + size), i % 2 == 0))
            start += size
        }
        let total = start
        do {
            let log = try PartitionLog(root: root, partition: 4, segmentBytesMax: 16_000)
            for (range, compressed) in batches { try Self.append(log, range, compressed: compressed) }
            try log.sync()
            #expect(log.durableEnd == UInt64(total))
            for from in [0, 1, 399, 400, 401, 650, 654, 1_000, 2_000, total - 1] {
                for maxBytes in [1, 900, 1 << 20] {
                    var offset = UInt64(from), seen: [UInt8] = []
                    while offset < log.durableEnd {
                        let chunk = try log.read(from: offset, maxBytes: maxBytes)
                        #expect(chunk.firstOffset == offset && chunk.count > 0)
                        seen += chunk.lines
                        offset = chunk.nextOffset
                    }
                    #expect(seen == Self.lines(from..<total), "from \(from), chunks of \(maxBytes) bytes")
                }
            }
        }
        let stored = try Self.segmentBytes(root, partition: 4)
        #expect(Self.count(of: LogFrame.compressedMagic, in: stored) >= 4, "the compressed batches are stored as WLZ1 frames")
        #expect(Self.count(of: LogFrame.magic, in: stored) >= 4, "the plain ones as WLG1")
        let reopened = try PartitionLog(root: root, partition: 4, segmentBytesMax: 16_000)
        #expect(reopened.durableEnd == UInt64(total) && reopened.truncatedBytesAtOpen == 0)
        #expect(try reopened.read(from: 0, maxBytes: 1 << 30).lines == Self.lines(0..<total))
    }

    @Test func compressedFramesTakeAFractionOfTheDisk_andAFrameThatWouldNotShrinkIsStoredPlain() throws {
        let plainRoot = TestScratch.directory("weir-log-plain"), zstdRoot = TestScratch.directory("weir-log-zstd")
        for (root, compressed) in [(plainRoot, false), (zstdRoot, true)] {
            let log = try PartitionLog(root: root, partition: 0)
            for i in 0..<20 { try Self.append(log, (i * 500)..<((i + 1) * 500), compressed: compressed) }
            try log.sync()
        }
        let plain = try Self.segmentBytes(plainRoot, partition: 0).count, zstd = try Self.segmentBytes(zstdRoot, partition: 0).count
        #expect(zstd * 3 < plain, "compressed \(zstd) bytes against \(plain) plain")

        let compressor = try ZstdFrameCompressor(level: 1)
        let tiny = Array("{\"n\":1}\n".utf8)
        let frame = tiny.withUnsafeBytes { LogFrame.encode(firstOffset: 0, count: 1, payload: $0, compressor: compressor) }
        #expect(Array(frame.prefix(4)) == LogFrame.magic, "an 8-byte payload does not shrink in a zstd frame")
        #expect(Array(frame.suffix(tiny.count)) == tiny)
    }

    /// A frame with a valid CRC over a payload that is not what it claims: a writer bug, never
    /// a torn write. The read names the file and the frame's offset instead of using it.
    static func frame(compressedPayload payload: [UInt8], count: Int, firstOffset: UInt64) -> [UInt8] {
        var countBytes: [UInt8] = []
        countBytes.appendLittleEndian(UInt32(count))
        var out = LogFrame.compressedMagic
        out.appendLittleEndian(UInt32(payload.count))
        out.appendLittleEndian(firstOffset)
        out += countBytes
        out.appendLittleEndian(payload.withUnsafeBytes { p in countBytes.withUnsafeBytes { CRC32C.checksum(p, seed: CRC32C.checksum($0)) } })
        return out + payload
    }

    @Test func aCompressedPayloadThatIsNotAUsableZstdFrameIsRefusedWithTheFileAndOffset() throws {
        let compressor = try ZstdFrameCompressor(level: 1)
        let oversized = [UInt8](repeating: UInt8(ascii: "x"), count: LogFrame.payloadBytesMax + 1)
        let cases: [(name: String, payload: [UInt8], expected: String)] = [
            ("not zstd", Array("definitely not a zstd frame".utf8), "does not declare a size"),
            ("lines beyond the frame limit", try compressor.compress(oversized), "does not declare a size"),
            ("a zstd frame cut short", Array(try Self.lines(0..<50).withUnsafeBytes { try compressor.compress($0) }.dropLast(9)), "compressed payload"),
        ]
        for c in cases {
            let root = TestScratch.directory("weir-log-bad-zstd")
            let segment: String
            do {
                let log = try PartitionLog(root: root, partition: 0)
                try Self.append(log, 0..<10, compressed: true)
                try log.sync()
                segment = root + "/p0000/" + String(format: "%020llu.seg", 0)
            }
            let good = try Data(contentsOf: URL(fileURLWithPath: segment)).count
            let handle = try #require(FileHandle(forWritingAtPath: segment))
            handle.seekToEndOfFile()
            handle.write(Data(Self.frame(compressedPayload: c.payload, count: 5, firstOffset: 10)))
            try handle.close()
            let reopened = try PartitionLog(root: root, partition: 0)
            #expect(reopened.durableEnd == 15, "\(c.name): the CRC holds, so recovery keeps the frame")
            #expect(try reopened.read(from: 0, maxBytes: 100).lines == Self.lines(0..<10), "\(c.name): the good frame still reads")
            do {
                _ = try reopened.read(from: 10)
                Issue.record("\(c.name): the bad frame was used")
            } catch {
                #expect(error.path == segment && error.offset == good, "\(c.name): \(error)")
                #expect(error.message.contains(c.expected), "\(c.name): \(error)")
            }
        }
    }
}
