import WeirCodec

/// The on-disk frame of a partition log segment: one appended batch of events.
///
/// ```
///  0        4        8                16       20       24
///  +--------+--------+----------------+--------+--------+---------------------------+
///  | "WLG1" | length | first offset   | count  | crc32c | payload: `count` NDJSON    |
///  | magic  | u32 LE | u64 LE         | u32 LE | u32 LE | lines, each ending in \n   |
///  +--------+--------+----------------+--------+--------+---------------------------+
/// ```
/// `length` is the payload's byte count; the CRC-32C covers the count and the payload, so a torn
/// or flipped frame is detected before any event of it is used. The first offset is not covered
/// (it is filled in by the writer, after the checksum was computed off its thread); recovery
/// checks it instead: offsets count events per partition from 0 and must be contiguous across
/// frames and segments.
public enum LogFrame {
    public static let magic: [UInt8] = Array("WLG1".utf8)
    public static let headerBytes = 24
    /// A frame holds at most this many payload bytes (a batch is split above it).
    public static let payloadBytesMax = 8 << 20

    public struct Header: Equatable, Sendable {
        public var length: Int
        public var firstOffset: UInt64
        public var count: Int
        public var checksum: UInt32
    }

    /// Header + payload of one frame.
    public static func encode(firstOffset: UInt64, count: Int, payload: UnsafeRawBufferPointer) -> [UInt8] {
        precondition(payload.count <= payloadBytesMax, "log frame payload of \(payload.count) bytes exceeds \(payloadBytesMax)")
        var out = magic
        out.reserveCapacity(headerBytes + payload.count)
        append32(UInt32(payload.count), &out)
        append64(firstOffset, &out)
        var countBytes: [UInt8] = []
        append32(UInt32(count), &countBytes)
        out += countBytes
        append32(CRC32C.checksum(payload, seed: CRC32C.checksum(countBytes)), &out)
        out.append(contentsOf: payload)
        return out
    }

    /// `count` whole NDJSON lines as frames (first offsets left 0), split at line boundaries so
    /// no payload exceeds `payloadBytesMax`.
    public static func encodeFrames(lines all: UnsafeRawBufferPointer, count: Int) -> [(bytes: [UInt8], count: Int)] {
        guard count > 0 else { return [] }
        guard all.count > payloadBytesMax else { return [(encode(firstOffset: 0, count: count, payload: all), count)] }
        var frames: [(bytes: [UInt8], count: Int)] = []
        var start = 0
        while start < all.count {
            var end = min(all.count, start + payloadBytesMax)
            if end < all.count { while end > start && all[end - 1] != 10 { end -= 1 } }
            precondition(end > start, "one event line exceeds the log frame limit")
            let piece = UnsafeRawBufferPointer(rebasing: all[start..<end])
            let n = piece.reduce(0) { $0 + ($1 == 10 ? 1 : 0) }
            frames.append((encode(firstOffset: 0, count: n, payload: piece), n))
            start = end
        }
        return frames
    }

    /// Writes `firstOffset` into the encoded frame at the start of `frame` (the checksum does
    /// not cover it).
    public static func setFirstOffset(_ offset: UInt64, in frame: UnsafeMutableRawBufferPointer) {
        precondition(frame.count >= headerBytes, "a frame header is \(headerBytes) bytes")
        for i in 0..<8 { frame[8 + i] = UInt8(truncatingIfNeeded: offset >> (8 * i)) }
    }

    /// Parses a header; nil when the bytes are not a frame header (bad magic or absurd length).
    public static func header(_ bytes: UnsafeRawBufferPointer) -> Header? {
        guard bytes.count >= headerBytes, bytes[0] == magic[0], bytes[1] == magic[1], bytes[2] == magic[2], bytes[3] == magic[3]
        else { return nil }
        let length = Int(read32(bytes, 4))
        guard length <= payloadBytesMax else { return nil }
        return Header(length: length, firstOffset: read64(bytes, 8), count: Int(read32(bytes, 16)), checksum: read32(bytes, 20))
    }

    /// True when `payload` matches the header's checksum.
    public static func verify(_ header: Header, headerBytes bytes: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer) -> Bool {
        let covered = UnsafeRawBufferPointer(rebasing: bytes[16..<20])
        return CRC32C.checksum(payload, seed: CRC32C.checksum(covered)) == header.checksum
    }

    static func append32(_ v: UInt32, _ out: inout [UInt8]) { out.appendLittleEndian(v) }
    static func append64(_ v: UInt64, _ out: inout [UInt8]) { out.appendLittleEndian(v) }
    static func read32(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(b[at + $1]) << (8 * $1) } }
    static func read64(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(b[at + $1]) << (8 * $1) } }
}
