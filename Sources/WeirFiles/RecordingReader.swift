import WeirCodec
import Foundation

/// Reads event bytes from a Weir recording, any other `.zst` file, or plain NDJSON.
///
/// Memory is bounded whatever the input: frames of an indexed recording are limited to
/// `RecordingFormat.frameBytesMax`, streams are decompressed in 1 MiB pieces, and zstd's window
/// is capped. Every failure names the file and the byte offset.
public final class RecordingReader {
    public enum Kind: Sendable, Equatable {
        /// A Weir recording with a frame index.
        case indexed
        /// A zstd file without Weir's index (read as one stream).
        case zstdStream
        /// Uncompressed NDJSON.
        case plainText
    }

    public let file: ReadableFile
    public let kind: Kind
    public let header: RecordingHeader?
    public let index: RecordingIndex?
    static let blockBytes = 1 << 20

    public init(path: String) throws {
        file = try ReadableFile(path: path)
        guard file.size > 0 else { throw FileError(path: path, offset: 0, message: "the file is empty") }
        let head = try file.read(at: 0, count: min(4, file.size))
        let magic: UInt32 = head.count == 4 ? RecordingFormat.readLE(head[...], at: 0, as: UInt32.self) : 0
        let isZstd = magic == RecordingFormat.zstdMagic || (magic & 0xFFFF_FFF0) == 0x184D_2A50
        guard isZstd else {
            kind = .plainText
            header = nil
            index = nil
            return
        }
        if let (h, i) = try RecordingReader.readIndex(file) {
            kind = .indexed
            header = h
            index = i
        } else {
            kind = .zstdStream
            header = nil
            index = nil
        }
    }

    /// The stream name recorded in the file, if any.
    public var stream: String? { index?.stream ?? header?.stream }

    /// Calls `body` with consecutive pieces of the decompressed event stream, in order.
    /// Pieces from an indexed recording hold whole lines; others may split a line.
    /// - Parameter decoderThreads: frames decompressed ahead in parallel (indexed recordings only).
    public func forEachPiece(decoderThreads: Int = 0, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        switch kind {
        case .plainText: try readPlain(body)
        case .zstdStream: try readStream(body)
        case .indexed:
            guard let index else { preconditionFailure("indexed recording without index") }
            if decoderThreads > 0 && index.frames.count > 1 {
                let prefetcher = FramePrefetcher(file: file, frames: index.frames, threads: decoderThreads)
                try prefetcher.run(body)
            } else {
                let decompressor = try ZstdDecompressor()
                var out: [UInt8] = []
                for frame in index.frames {
                    try RecordingReader.decode(frame, file: file, decompressor: decompressor, into: &out)
                    try out.withUnsafeBytes { try body($0) }
                }
            }
        }
    }

    /// The frames of an indexed recording that may hold events at or after `time`: seeking skips
    /// every frame whose largest event time is earlier. Nil for files without an index.
    public func frames(from time: Int64) -> [RecordingIndex.Frame]? {
        guard let index else { return nil }
        guard let first = index.frames.firstIndex(where: { ($0.maxTime ?? .max) >= time }) else { return [] }
        return Array(index.frames[first...])
    }

    /// Calls `body` with the decompressed bytes of each of `frames`, in order (whole lines each).
    public func forEachFrame(_ frames: [RecordingIndex.Frame], _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let decompressor = try ZstdDecompressor()
        var out: [UInt8] = []
        for frame in frames {
            try RecordingReader.decode(frame, file: file, decompressor: decompressor, into: &out)
            try out.withUnsafeBytes { try body($0) }
        }
    }

    /// Decompresses one indexed frame, with errors naming its offset.
    static func decode(_ frame: RecordingIndex.Frame, file: ReadableFile, decompressor: ZstdDecompressor, into out: inout [UInt8]) throws {
        guard frame.decompressed <= RecordingFormat.frameBytesMax else {
            throw FileError(path: file.path, offset: frame.offset, message: "frame declares \(frame.decompressed) bytes, over the \(RecordingFormat.frameBytesMax)-byte limit")
        }
        let compressed = try file.read(at: frame.offset, count: frame.compressed)
        do {
            try compressed.withUnsafeBytes { try decompressor.decompressFrame($0, expectedSize: frame.decompressed, into: &out) }
        } catch let error as ZstdError {
            throw FileError(path: file.path, offset: frame.offset, message: "corrupt zstd frame: \(error.message)")
        }
    }

    private func readPlain(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        var buffer = [UInt8](repeating: 0, count: RecordingReader.blockBytes)
        var offset = 0
        while offset < file.size {
            let n = try buffer.withUnsafeMutableBytes { try file.read(at: offset, into: $0) }
            if n == 0 { break }
            try buffer.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            offset += n
        }
    }

    private func readStream(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let decompressor = try ZstdDecompressor()
        var input = [UInt8](repeating: 0, count: RecordingReader.blockBytes)
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: RecordingReader.blockBytes, alignment: 8)
        defer { output.deallocate() }
        var fileOffset = 0
        var frameStart = 0
        var inFrame = false
        while fileOffset < file.size {
            let n = try input.withUnsafeMutableBytes { try file.read(at: fileOffset, into: $0) }
            if n == 0 { break }
            var pos = 0
            while pos < n {
                let step: (consumed: Int, produced: Int, frameDone: Bool)
                do {
                    step = try input.withUnsafeBytes { try decompressor.stream(UnsafeRawBufferPointer(rebasing: $0[0..<n]), from: pos, into: output) }
                } catch let error as ZstdError {
                    throw FileError(path: file.path, offset: frameStart, message: "corrupt zstd data in the frame starting here: \(error.message)")
                }
                pos += step.consumed
                if step.produced > 0 { try body(UnsafeRawBufferPointer(rebasing: output[0..<step.produced])) }
                inFrame = !step.frameDone
                if step.frameDone { frameStart = fileOffset + pos }
                if step.consumed == 0 && step.produced == 0 { break }
            }
            fileOffset += n
        }
        // Drain output still buffered inside zstd.
        while inFrame {
            let step: (consumed: Int, produced: Int, frameDone: Bool)
            do {
                step = try decompressor.stream(UnsafeRawBufferPointer(start: nil, count: 0), from: 0, into: output)
            } catch let error as ZstdError {
                throw FileError(path: file.path, offset: frameStart, message: "corrupt zstd data in the frame starting here: \(error.message)")
            }
            if step.produced > 0 { try body(UnsafeRawBufferPointer(rebasing: output[0..<step.produced])) }
            inFrame = !step.frameDone
            if step.produced == 0 { break }
        }
        if inFrame {
            throw FileError(path: file.path, offset: frameStart, message: "the file ends inside the zstd frame starting here (truncated)")
        }
    }

    /// Reads and verifies the footer and index; nil when the file has no Weir footer.
    static func readIndex(_ file: ReadableFile) throws -> (RecordingHeader?, RecordingIndex)? {
        guard file.size >= RecordingFormat.footerBytes + 8 else { return nil }
        let footerAt = file.size - RecordingFormat.footerBytes
        let footer = try file.read(at: footerAt, count: RecordingFormat.footerBytes)
        guard RecordingFormat.readLE(footer[...], at: 0, as: UInt32.self) == RecordingFormat.footerMagic,
              Array(footer[16..<24]) == RecordingFormat.footerTag
        else { return nil }
        let indexAt = Int(RecordingFormat.readLE(footer[...], at: 8, as: UInt64.self))
        func corrupt(_ offset: Int, _ why: String) -> FileError {
            FileError(path: file.path, offset: offset, message: "corrupt recording index: \(why)")
        }
        guard indexAt >= 0, indexAt + 8 <= footerAt else { throw corrupt(footerAt, "footer points outside the file") }
        let frameHead = try file.read(at: indexAt, count: 8)
        let length = Int(RecordingFormat.readLE(frameHead[...], at: 4, as: UInt32.self))
        guard RecordingFormat.readLE(frameHead[...], at: 0, as: UInt32.self) == RecordingFormat.indexMagic,
              length <= RecordingFormat.indexBytesMax, indexAt + 8 + length == footerAt, length >= 12
        else { throw corrupt(indexAt, "index frame header is wrong") }
        let payload = try file.read(at: indexAt + 8, count: length)
        guard Array(payload[0..<8]) == RecordingFormat.indexTag else { throw corrupt(indexAt + 8, "index tag missing") }
        let json = Array(payload[8..<(length - 4)])
        let stored: UInt32 = RecordingFormat.readLE(payload[...], at: length - 4, as: UInt32.self)
        guard CRC32C.checksum(json) == stored else { throw corrupt(indexAt + 8, "checksum mismatch") }
        let index: RecordingIndex
        do { index = try JSONDecoder().decode(RecordingIndex.self, from: Data(json)) } catch {
            throw corrupt(indexAt + 8, "cannot decode: \(error)")
        }
        let header = try readHeader(file)
        var expected = header.map { $0.size } ?? 0
        for frame in index.frames {
            guard frame.offset == expected, frame.compressed > 0, frame.decompressed >= 0 else {
                throw corrupt(frame.offset, "frames are not contiguous at byte \(expected)")
            }
            expected += frame.compressed
        }
        guard expected == indexAt else { throw corrupt(expected, "frames end at \(expected) but the index starts at \(indexAt)") }
        return (header?.header, index)
    }

    static func readHeader(_ file: ReadableFile) throws -> (header: RecordingHeader, size: Int)? {
        let head = try file.read(at: 0, count: 8)
        guard RecordingFormat.readLE(head[...], at: 0, as: UInt32.self) == RecordingFormat.headerMagic else { return nil }
        let length = Int(RecordingFormat.readLE(head[...], at: 4, as: UInt32.self))
        guard length >= 8, length <= 1 << 20, 8 + length <= file.size else {
            throw FileError(path: file.path, offset: 0, message: "corrupt recording header")
        }
        let payload = try file.read(at: 8, count: length)
        guard Array(payload[0..<8]) == RecordingFormat.headerTag,
              let header = try? JSONDecoder().decode(RecordingHeader.self, from: Data(payload[8...]))
        else { throw FileError(path: file.path, offset: 8, message: "corrupt recording header") }
        return (header, 8 + length)
    }
}
