import WeirCodec

/// The on-disk frame of a partition log segment: one appended batch of events.
///
/// ```
///  0        4        8                16       20       24
///  +--------+--------+----------------+--------+--------+---------------------------+
///  | "WLG1" | length | first offset   | count  | crc32c | payload: `count` NDJSON    |
///  | "WLZ1" | u32 LE | u64 LE         | u32 LE | u32 LE | lines, each ending in \n   |
///  | magic  |        |                |        |        | (WLZ1: as one zstd frame)  |
///  +--------+--------+----------------+--------+--------+---------------------------+
/// ```
/// `length` is the stored payload's byte count; the CRC-32C covers the count and the stored
/// payload, so a torn or flipped frame is detected before any event of it is used (a `WLZ1`
/// payload also carries zstd's content size and checksum of the lines). The first offset is not
/// covered (it is filled in by the writer, after the checksum was computed off its thread);
/// recovery checks it instead: offsets count events per partition from 0 and must be
/// contiguous across frames and segments.
///
/// A `WLP1` frame (count 0, 20-byte payload: producer u64, seq u64, events u32) is a
/// `ProducerMark` in front of the frames of an idempotent producer's batch.
///
/// `WLZ1` frames (zstd level 1, `weir coordinator --log-compression zstd`) take ~5× less disk
/// for the events of `weir gen`, for CPU at ingest and at every read. A frame that would not
/// shrink is stored as `WLG1`; both kinds mix freely in one segment.
public enum LogFrame {
    public static let magic: [UInt8] = Array("WLG1".utf8)
    /// The magic of a frame whose payload is one zstd frame of the lines.
    public static let compressedMagic: [UInt8] = Array("WLZ1".utf8)
    /// The magic of a producer mark: no events, but which batch of an idempotent producer the
    /// frames after it hold (`ProducerMark`).
    public static let producerMarkMagic: [UInt8] = Array("WLP1".utf8)
    /// A producer mark's payload: producer u64 | seq u64 | events u32.
    static let producerMarkPayloadBytes = 20
    public static let headerBytes = 24
    /// A frame holds at most this many payload bytes (a batch is split above it).
    public static let payloadBytesMax = 8 << 20

    public struct Header: Equatable, Sendable {
        public var length: Int
        public var firstOffset: UInt64
        public var count: Int
        public var checksum: UInt32
        /// The payload is one zstd frame of the lines (`WLZ1`).
        public var isCompressed = false
        /// Not events: a `ProducerMark` (`WLP1`, count 0).
        public var isProducerMark = false
    }

    /// Written before the frames of one partition's part of an idempotent producer's batch:
    /// producer `producer`'s batch `seq` follows, `events` events in the next frames. A log
    /// that holds the mark holds the whole part (recovery cuts an incomplete one off with its
    /// mark), so the marks are the producers' durable deduplication state, and it travels with
    /// the log.
    public struct ProducerMark: Equatable, Sendable {
        public var producer: UInt64
        public var seq: UInt64
        public var events: Int

        public init(producer: UInt64, seq: UInt64, events: Int) {
            precondition(producer != 0 && seq != 0, "producer ids and sequences start at 1")
            self.producer = producer
            self.seq = seq
            self.events = events
        }
    }

    /// A producer mark as a frame (first offset left 0, as for events).
    public static func encodeProducerMark(_ mark: ProducerMark) -> [UInt8] {
        var payload: [UInt8] = []
        append64(mark.producer, &payload)
        append64(mark.seq, &payload)
        append32(UInt32(mark.events), &payload)
        return payload.withUnsafeBytes { encodeHeader(producerMarkMagic, stored: $0, firstOffset: 0, count: 0) } + payload
    }

    /// The mark a verified `WLP1` frame holds; nil when its payload is not one.
    public static func producerMark(_ header: Header, payload: UnsafeRawBufferPointer) -> ProducerMark? {
        guard header.isProducerMark, header.count == 0, payload.count == producerMarkPayloadBytes else { return nil }
        let producer = read64(payload, 0), seq = read64(payload, 8)
        guard producer != 0, seq != 0 else { return nil }
        return ProducerMark(producer: producer, seq: seq, events: Int(read32(payload, 16)))
    }

    /// Header + payload of one frame; with a compressor, the payload is stored compressed
    /// (`WLZ1`) unless that would not make it smaller.
    public static func encode(firstOffset: UInt64, count: Int, payload: UnsafeRawBufferPointer,
                              compressor: ZstdFrameCompressor? = nil) -> [UInt8] {
        precondition(payload.count <= payloadBytesMax, "log frame payload of \(payload.count) bytes exceeds \(payloadBytesMax)")
        if let compressor, let frame = encodeCompressed(firstOffset: firstOffset, count: count, payload: payload, compressor) {
            return frame
        }
        var out = encodeHeader(magic, stored: payload, firstOffset: firstOffset, count: count)
        out.reserveCapacity(headerBytes + payload.count)
        out.append(contentsOf: payload)
        return out
    }

    /// The header of a frame storing `stored` (the lines, or their zstd frame) under `magic`.
    static func encodeHeader(_ magic: [UInt8], stored: UnsafeRawBufferPointer, firstOffset: UInt64, count: Int) -> [UInt8] {
        var out = magic
        out.reserveCapacity(headerBytes)
        append32(UInt32(stored.count), &out)
        append64(firstOffset, &out)
        var countBytes: [UInt8] = []
        append32(UInt32(count), &countBytes)
        out += countBytes
        append32(CRC32C.checksum(stored, seed: CRC32C.checksum(countBytes)), &out)
        return out
    }

    /// A `WLZ1` frame, or nil when compressing does not make the payload smaller (or fails: the
    /// caller stores it plain, which is as correct).
    static func encodeCompressed(firstOffset: UInt64, count: Int, payload: UnsafeRawBufferPointer,
                                 _ compressor: ZstdFrameCompressor) -> [UInt8]? {
        var stored = Int.max
        let frame = [UInt8](unsafeUninitializedCapacity: headerBytes + compressor.bound(payload.count)) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            stored = (try? compressor.compress(payload, into: UnsafeMutableRawBufferPointer(rebasing: raw[headerBytes...]))) ?? Int.max
            guard stored < payload.count else { initialized = 0; return }
            // The header covers the compressed bytes, so it is written after them.
            let compressed = UnsafeRawBufferPointer(rebasing: raw[headerBytes..<(headerBytes + stored)])
            encodeHeader(compressedMagic, stored: compressed, firstOffset: firstOffset, count: count).withUnsafeBytes { raw.copyMemory(from: $0) }
            initialized = headerBytes + stored
        }
        return stored < payload.count ? frame : nil
    }

    /// `count` whole NDJSON lines as frames (first offsets left 0), split at line boundaries so
    /// no payload exceeds `payloadBytesMax`; compressed with `compressor` when given.
    public static func encodeFrames(lines all: UnsafeRawBufferPointer, count: Int,
                                    compressor: ZstdFrameCompressor? = nil) -> [(bytes: [UInt8], count: Int)] {
        guard count > 0 else { return [] }
        guard all.count > payloadBytesMax else { return [(encode(firstOffset: 0, count: count, payload: all, compressor: compressor), count)] }
        var frames: [(bytes: [UInt8], count: Int)] = []
        var start = 0
        while start < all.count {
            var end = min(all.count, start + payloadBytesMax)
            if end < all.count { while end > start && all[end - 1] != 10 { end -= 1 } }
            precondition(end > start, "one event line exceeds the log frame limit")
            let piece = UnsafeRawBufferPointer(rebasing: all[start..<end])
            let n = piece.reduce(0) { $0 + ($1 == 10 ? 1 : 0) }
            frames.append((encode(firstOffset: 0, count: n, payload: piece, compressor: compressor), n))
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
        guard bytes.count >= headerBytes, bytes[0] == magic[0], bytes[1] == magic[1], bytes[3] == magic[3],
              bytes[2] == magic[2] || bytes[2] == compressedMagic[2] || bytes[2] == producerMarkMagic[2]
        else { return nil }
        let length = Int(read32(bytes, 4))
        // A compressed payload is stored only when smaller than its lines, so one bound holds for both.
        guard length <= payloadBytesMax else { return nil }
        return Header(length: length, firstOffset: read64(bytes, 8), count: Int(read32(bytes, 16)), checksum: read32(bytes, 20),
                      isCompressed: bytes[2] == compressedMagic[2], isProducerMark: bytes[2] == producerMarkMagic[2])
    }

    /// A verified frame's lines: the payload itself, or (`WLZ1`) its decompression into
    /// `scratch`. Throws when a compressed payload does not hold a zstd frame of at most
    /// `payloadBytesMax` bytes that passes zstd's own checksum.
    public static func lines<R>(_ header: Header, payload: UnsafeRawBufferPointer, scratch: inout [UInt8],
                                decompressor: ZstdDecompressor?, _ body: (UnsafeRawBufferPointer) -> R) throws(LogFrameError) -> R {
        guard header.isCompressed else { return body(payload) }
        guard let decompressor else { throw LogFrameError("cannot allocate a zstd context to read a compressed frame") }
        guard let size = ZstdDecompressor.contentSize(payload), size <= payloadBytesMax else {
            throw LogFrameError("compressed payload does not declare a size of at most \(payloadBytesMax) bytes")
        }
        do {
            try decompressor.decompressFrame(payload, expectedSize: size, into: &scratch)
        } catch {
            throw LogFrameError("compressed payload: \(error)")
        }
        return scratch.withUnsafeBytes { body($0) }
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

/// A frame whose checksum matched but whose payload cannot be used (a writer bug or a
/// collision, never a torn write).
public struct LogFrameError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
