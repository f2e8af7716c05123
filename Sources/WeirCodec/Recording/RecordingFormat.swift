import Foundation

/// The Weir recording format: a valid multi-frame `.zst` file of NDJSON events.
///
/// ```
/// +--------------------------------------------------------------------------+
/// | skippable frame 0x184D2A50: "WEIRREC1" + JSON header {version, stream}   |
/// +--------------------------------------------------------------------------+
/// | zstd frame 0: whole NDJSON lines, content size + XXH64 content checksum  |
/// | zstd frame 1 ...  (each independently decompressible)                   |
/// +--------------------------------------------------------------------------+
/// | skippable frame 0x184D2A51: "WEIRIDX1" + JSON index + CRC-32C (4 bytes)  |
/// |   {stream, events, min_time, max_time, frames: [{offset, compressed,     |
/// |    decompressed, events, first_line, first_byte, min_time, max_time}]}   |
/// +--------------------------------------------------------------------------+
/// | skippable frame 0x184D2A52 (24 bytes): index offset u64 LE + "WEIRFTR1"  |
/// +--------------------------------------------------------------------------+
/// ```
/// zstd skips skippable frames, so `zstd -dc rec.zst` prints the events. A reader finds the
/// footer in the last 24 bytes, the index through it, and can then seek to any frame or
/// decompress frames in parallel. Any other `.zst` (or plain NDJSON) file is read as a stream.
public enum RecordingFormat {
    public static let headerMagic: UInt32 = 0x184D_2A50
    public static let indexMagic: UInt32 = 0x184D_2A51
    public static let footerMagic: UInt32 = 0x184D_2A52
    public static let zstdMagic: UInt32 = 0xFD2F_B528
    public static let headerTag = Array("WEIRREC1".utf8)
    public static let indexTag = Array("WEIRIDX1".utf8)
    public static let footerTag = Array("WEIRFTR1".utf8)
    public static let footerBytes = 24
    /// Largest decompressed frame a reader accepts (bounds memory per frame).
    public static let frameBytesMax = 64 << 20
    /// Largest index a reader accepts.
    public static let indexBytesMax = 64 << 20

    /// A skippable frame: magic, payload length, payload.
    package static func skippableFrame(magic: UInt32, payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(payload.count + 8)
        appendLE(magic, to: &out)
        appendLE(UInt32(payload.count), to: &out)
        out += payload
        return out
    }

    package static func appendLE<T: FixedWidthInteger>(_ v: T, to out: inout [UInt8]) {
        var x = v.littleEndian
        withUnsafeBytes(of: &x) { out.append(contentsOf: $0) }
    }

    package static func readLE<T: FixedWidthInteger>(_ bytes: ArraySlice<UInt8>, at offset: Int, as: T.Type) -> T {
        var v: T = 0
        for k in (0..<(T.bitWidth / 8)).reversed() { v = v << 8 | T(bytes[bytes.startIndex + offset + k]) }
        return v
    }
}

/// The header stored at the start of a recording.
public struct RecordingHeader: Codable, Sendable, Equatable {
    public var version: Int
    public var stream: String
    public init(version: Int, stream: String) { self.version = version; self.stream = stream }
}

/// The frame index stored near the end of a recording.
public struct RecordingIndex: Codable, Sendable, Equatable {
    public struct Frame: Codable, Sendable, Equatable {
        /// Byte offset of the zstd frame in the file.
        public var offset: Int
        public var compressed: Int
        public var decompressed: Int
        public var events: Int
        /// 1-based line number of the frame's first line.
        public var firstLine: Int
        /// Offset of the frame's first byte in the decompressed stream.
        public var firstByte: Int
        /// Smallest and largest event time in the frame, when the writer knew them.
        public var minTime: Int64?
        public var maxTime: Int64?

        public init(offset: Int, compressed: Int, decompressed: Int, events: Int, firstLine: Int, firstByte: Int,
                    minTime: Int64?, maxTime: Int64?) {
            self.offset = offset; self.compressed = compressed; self.decompressed = decompressed; self.events = events
            self.firstLine = firstLine; self.firstByte = firstByte; self.minTime = minTime; self.maxTime = maxTime
        }

        enum CodingKeys: String, CodingKey {
            case offset, compressed, decompressed, events
            case firstLine = "first_line"
            case firstByte = "first_byte"
            case minTime = "min_time"
            case maxTime = "max_time"
        }
    }

    public var stream: String
    public var events: Int
    public var minTime: Int64?
    public var maxTime: Int64?
    public var frames: [Frame]

    public init(stream: String, events: Int, minTime: Int64?, maxTime: Int64?, frames: [Frame]) {
        self.stream = stream; self.events = events; self.minTime = minTime; self.maxTime = maxTime; self.frames = frames
    }

    enum CodingKeys: String, CodingKey {
        case stream, events, frames
        case minTime = "min_time"
        case maxTime = "max_time"
    }
}
