import Foundation
import Testing
import WeirCore
import WeirTestSupport
@testable import WeirFiles
@testable import WeirCodec

@Suite struct RecordingTests {
    let dir = TestScratch.directory("weir-codec")

    func lines(_ n: Int) -> [String] { (0..<n).map { #"{"ts":\#($0),"v":"\#(String(repeating: "x", count: $0 % 50))"}"# } }

    func write(_ lines: [String], frameBytes: Int = 4096) throws -> String {
        let path = dir + "/r-\(UUID().uuidString).zst"
        let writer = try RecordingWriter(path: path, stream: "s", frameBytesTarget: frameBytes)
        for (i, l) in lines.enumerated() { try writer.append(line: Array(l.utf8), eventTime: Int64(i)) }
        try writer.finish()
        return path
    }

    func readLines(_ path: String, threads: Int = 0, pieceSplit: Bool = false) throws -> [String] {
        let reader = try RecordingReader(path: path)
        let splitter = LineSplitter()
        var out: [String] = []
        try reader.forEachPiece(decoderThreads: threads) { piece in
            splitter.feed(piece, line: { l, _ in out.append(String(decoding: l, as: UTF8.self)) }, tooLong: { _ in })
        }
        splitter.finish(line: { l, _ in out.append(String(decoding: l, as: UTF8.self)) }, tooLong: { _ in })
        return out
    }

    @Test func roundTripsThroughTheIndexSequentiallyAndInParallel() throws {
        let input = lines(5000)
        let path = try write(input)
        let reader = try RecordingReader(path: path)
        #expect(reader.kind == .indexed)
        #expect(reader.index?.events == 5000)
        #expect(reader.index?.minTime == 0 && reader.index?.maxTime == 4999)
        #expect((reader.index?.frames.count ?? 0) > 10)
        #expect(try readLines(path) == input)
        #expect(try readLines(path, threads: 3) == input)
    }

    @Test func isAValidZstdFileForTheZstdTool() throws {
        let input = lines(300)
        let path = try write(input)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["zstd", "-dc", path]
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        #expect(String(decoding: data, as: UTF8.self) == input.joined(separator: "\n") + "\n")
    }

    @Test func readsPlainZstdAndPlainText() throws {
        let input = lines(2000)
        let text = Array((input.joined(separator: "\n") + "\n").utf8)
        let zpath = dir + "/plain.jsonl.zst"
        // Two concatenated frames, no Weir index.
        let c = try ZstdFrameCompressor()
        let half = text.count / 2
        let bytes = try c.compress(Array(text[..<half])) + c.compress(Array(text[half...]))
        FileManager.default.createFile(atPath: zpath, contents: Data(bytes))
        #expect(try RecordingReader(path: zpath).kind == .zstdStream)
        #expect(try readLines(zpath) == input)
        let tpath = dir + "/plain.jsonl"
        FileManager.default.createFile(atPath: tpath, contents: Data(text))
        #expect(try RecordingReader(path: tpath).kind == .plainText)
        #expect(try readLines(tpath) == input)
    }

    @Test func truncatedAndCorruptFilesFailWithTheByteOffset() throws {
        let path = try write(lines(3000))
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        // Truncated: the footer is gone, so it is read as a stream that ends inside a frame.
        let cut = dir + "/cut.zst"
        FileManager.default.createFile(atPath: cut, contents: original.prefix(original.count / 2))
        #expect {
            _ = try readLines(cut)
        } throws: { error in
            let text = "\(error)"
            return text.contains("truncated") && text.contains("at byte")
        }
        // A flipped byte inside a data frame: the frame is refused, naming its offset.
        let reader = try RecordingReader(path: path)
        let frame = try #require(reader.index?.frames[2])
        var flipped = original
        flipped[frame.offset + frame.compressed / 2] ^= 0x5A
        let bad = dir + "/flip.zst"
        FileManager.default.createFile(atPath: bad, contents: flipped)
        #expect {
            _ = try readLines(bad)
        } throws: { error in
            "\(error)".contains("at byte \(frame.offset)") && "\(error)".contains("corrupt")
        }
        // A damaged index is refused by its checksum.
        var badIndex = original
        badIndex[original.count - 40] ^= 0x01
        let idx = dir + "/index.zst"
        FileManager.default.createFile(atPath: idx, contents: badIndex)
        #expect { _ = try RecordingReader(path: idx) } throws: { "\($0)".contains("corrupt recording index") }
        // Empty and missing files.
        let empty = dir + "/empty.zst"
        FileManager.default.createFile(atPath: empty, contents: Data())
        #expect { _ = try RecordingReader(path: empty) } throws: { "\($0)".contains("empty") }
        #expect { _ = try RecordingReader(path: dir + "/nope.zst") } throws: { "\($0)".contains("cannot open") }
    }

    @Test func garbageThatLooksLikeZstdIsRefused() throws {
        let path = dir + "/garbage.zst"
        var bytes: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD]
        var rng = SeededGenerator(seed: 4)
        for _ in 0..<10_000 { bytes.append(UInt8(truncatingIfNeeded: rng.next())) }
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        #expect { _ = try readLines(path) } throws: { "\($0)".contains("at byte 0") }
    }
}

@Suite struct LineSplitterTests {
    @Test func splitsLinesAcrossArbitraryPieces() {
        var rng = SeededGenerator(seed: 11)
        let lines = (0..<500).map { i in String(repeating: "a", count: rng.below(40)) + "\(i)" }
        let text = Array((lines.joined(separator: "\r\n") + "\n\n  \n").utf8)
        for _ in 0..<20 {
            let splitter = LineSplitter()
            var got: [String] = []
            var locations: [LineLocation] = []
            var i = 0
            while i < text.count {
                let n = min(text.count - i, 1 + rng.below(64))
                text[i..<(i + n)].withUnsafeBytes { piece in
                    splitter.feed(piece, line: { l, loc in got.append(String(decoding: l, as: UTF8.self)); locations.append(loc) }, tooLong: { _ in })
                }
                i += n
            }
            splitter.finish(line: { l, _ in got.append(String(decoding: l, as: UTF8.self)) }, tooLong: { _ in })
            #expect(got == lines)
            #expect(locations[1] == LineLocation(line: 2, byteOffset: lines[0].utf8.count + 2))
        }
    }

    @Test func reportsOverlongLinesOnceAndGoesOn() {
        let splitter = LineSplitter(lineBytesMax: 10)
        let text = Array("short\n0123456789ABCDEF\nok\n".utf8)
        var got: [String] = []
        var tooLong: [LineLocation] = []
        for chunk in stride(from: 0, to: text.count, by: 3) {
            text[chunk..<min(text.count, chunk + 3)].withUnsafeBytes { piece in
                splitter.feed(piece, line: { l, _ in got.append(String(decoding: l, as: UTF8.self)) }, tooLong: { tooLong.append($0) })
            }
        }
        #expect(got == ["short", "ok"])
        #expect(tooLong == [LineLocation(line: 2, byteOffset: 6)])
    }
}

@Suite struct RecordingSeekAndAbuseTests {
    let dir = TestScratch.directory("weir-seek")

    @Test func seeksToTheFirstFrameHoldingATime() throws {
        let path = dir + "/seek.zst"
        let writer = try RecordingWriter(path: path, stream: "s", frameBytesTarget: 2048)
        for t in 0..<3000 { try writer.append(line: Array(#"{"ts":\#(t)}"#.utf8), eventTime: Int64(t)) }
        try writer.finish()
        let reader = try RecordingReader(path: path)
        let frames = try #require(reader.frames(from: 2000))
        #expect(!frames.isEmpty && frames.count < (reader.index?.frames.count ?? 0))
        #expect((frames.first?.minTime ?? .max) <= 2000 && (frames.first?.maxTime ?? .min) >= 2000)
        var firstLine = ""
        try reader.forEachFrame(frames) { bytes in
            if firstLine.isEmpty { firstLine = String(decoding: bytes.prefix { $0 != 10 }, as: UTF8.self) }
        }
        #expect(firstLine == #"{"ts":\#(frames[0].minTime ?? -1)}"#)
        #expect(reader.frames(from: 10_000) == [])
    }

    @Test func aDecompressionBombIsReadInBoundedPiecesAndItsGiantLineRefused() throws {
        // 200 MB of 'a' without a newline compresses to a few KB.
        let big = [UInt8](repeating: UInt8(ascii: "a"), count: 200 << 20)
        let bomb = try ZstdFrameCompressor(level: 1).compress(big)
        #expect(bomb.count < 100_000)
        let path = dir + "/bomb.zst"
        let tail = try ZstdFrameCompressor().compress(Array("\n{\"ts\":1}\n".utf8))
        FileManager.default.createFile(atPath: path, contents: Data(bomb + tail))
        let reader = try RecordingReader(path: path)
        let splitter = LineSplitter()
        var largestPiece = 0
        var lines: [String] = []
        var tooLong: [LineLocation] = []
        try reader.forEachPiece { piece in
            largestPiece = max(largestPiece, piece.count)
            splitter.feed(piece, line: { l, _ in lines.append(String(decoding: l, as: UTF8.self)) }, tooLong: { tooLong.append($0) })
        }
        #expect(largestPiece <= 1 << 20)
        #expect(tooLong == [LineLocation(line: 1, byteOffset: 0)])
        #expect(lines == [#"{"ts":1}"#])  // reading goes on after the refused line
    }
}
