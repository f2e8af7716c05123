import WeirCore

/// A partition checkpoint as stored and shipped: a fixed header, the zstd-compressed body (one
/// `JobCheckpoint` per job) and a CRC-32C over everything before it.
///
/// ```
///  0      4    5     6           10      18    26           34       42        46
///  | WCKP | vN | kind | partition | epoch | seq | prevDigest | digest | bodyLen | body (zstd) | crc32c u32 |
/// ```
/// `digest` chains the checkpoints of a partition: a hash of (seq, compressed body) seeded by
/// prevDigest — XXH64 from version 3, StableHash (FNV-1a) in version 2, which is still read. A delta only applies on top of the checkpoint whose digest is its `prevDigest`,
/// and the coordinator commits (seq, digest), so a restore can prove it rebuilt exactly the
/// committed state. LMDB has no page checksums, so nothing is used before the CRC, the header
/// and the partition are checked.
public enum CheckpointBlob {
    public static let magic: [UInt8] = Array("WCKP".utf8)
    /// 2: engine snapshots carry session serials and, in a delta, only the cells changed since
    /// the previous checkpoint (1: always the whole state). 3: the same body, its digest by
    /// XXH64 (`chainDigest`). 4: rows in `PartialRowCodec`'s compact layout (fixed before).
    /// Versions 2 to 4 are read; 4 is written.
    public static let version: UInt8 = 4
    static let readableVersions: ClosedRange<UInt8> = 2...4

    /// How rows are written in a body of `version`.
    static func rowLayout(version: UInt8) -> PartialRowCodec.Layout { version >= 4 ? .compact : .fixed }

    public static let headerBytes = 46
    /// Decompressed bodies above this are refused (a corrupt length must not exhaust memory).
    public static let bodyBytesMax = 1 << 30

    public enum Kind: UInt8, Sendable {
        /// Carries every retained final row: needs nothing before it.
        case base = 1
        /// Carries the final rows emitted since the previous checkpoint.
        case delta = 2
    }

    public struct Header: Sendable, Equatable {
        public var kind: Kind
        public var partition: Int
        public var epoch: UInt64
        public var seq: UInt64
        public var previousDigest: UInt64
        public var digest: UInt64

        public init(kind: Kind, partition: Int, epoch: UInt64, seq: UInt64, previousDigest: UInt64, digest: UInt64) {
            self.kind = kind
            self.partition = partition
            self.epoch = epoch
            self.seq = seq
            self.previousDigest = previousDigest
            self.digest = digest
        }
    }

    /// Encodes, compresses and seals a checkpoint.
    public static func seal(kind: Kind, partition: Int, epoch: UInt64, seq: UInt64, previousDigest: UInt64,
                            jobs: [JobCheckpoint]) throws -> (bytes: [UInt8], header: Header) {
        let scratch = try SealScratch.pool.take()
        defer { SealScratch.pool.give(scratch) }
        // Sized up front (final rows are most of a checkpoint): a body grown by doubling is
        // copied and its fresh pages cleared once per doubling.
        scratch.body.reserve(4096 + jobs.reduce(0) { $0 + $1.estimatedBytes })
        scratch.body.u32(UInt32(jobs.count))
        for job in jobs { job.append(to: &scratch.body) }
        // The body is compressed straight into the blob, between the header and the CRC, which
        // are written around it once the digest of the compressed bytes is known.
        let bound = scratch.compressor.bound(scratch.body.bytes.count)
        var header: Header?
        let blob = try [UInt8](unsafeUninitializedCapacity: headerBytes + bound + 4) { dst, initialized in
            let raw = UnsafeMutableRawBufferPointer(dst)
            let length = try scratch.body.bytes.withUnsafeBytes { body in
                try scratch.compressor.compress(body, into: UnsafeMutableRawBufferPointer(rebasing: raw[headerBytes..<(headerBytes + bound)]))
            }
            let compressed = UnsafeRawBufferPointer(rebasing: raw[headerBytes..<(headerBytes + length)])
            let sealed = Header(kind: kind, partition: partition, epoch: epoch, seq: seq, previousDigest: previousDigest,
                                digest: chainDigest(version: version, previous: previousDigest, seq: seq, compressedBody: compressed))
            var w = WireWriter(capacity: headerBytes)
            w.raw(magic)
            w.u8(version)
            w.u8(kind.rawValue)
            w.u32(UInt32(partition))
            w.u64(epoch)
            w.u64(seq)
            w.u64(previousDigest)
            w.u64(sealed.digest)
            w.u32(UInt32(length))
            precondition(w.bytes.count == headerBytes, "a checkpoint header is \(headerBytes) bytes, not \(w.bytes.count)")
            w.bytes.withUnsafeBytes { raw.copyMemory(from: $0) }
            let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<(headerBytes + length)]))
            raw.storeBytes(of: crc.littleEndian, toByteOffset: headerBytes + length, as: UInt32.self)
            initialized = headerBytes + length + 4
            header = sealed
        }
        // Set by the initializer above, which either ran to its end or threw.
        guard let header else { preconditionFailure("a sealed checkpoint has a header") }
        return (blob, header)
    }

    static func chainDigest(version: UInt8, previous: UInt64, seq: UInt64, compressedBody: UnsafeRawBufferPointer) -> UInt64 {
        withUnsafeBytes(of: seq.littleEndian) { seqBytes in
            version >= 3 ? XXH64.hash(compressedBody, seed: XXH64.hash(seqBytes, seed: previous))
                : StableHash.hash(compressedBody, seed: StableHash.hash(seqBytes, seed: previous))
        }
    }

    /// Checks the frame (size, magic, version, CRC, digest) and the partition, without
    /// decompressing: enough to store or forward a blob safely.
    public static func verify(_ bytes: [UInt8], partition: Int) throws(CheckpointError) -> Header {
        try verified(bytes, partition: partition).header
    }

    /// `verify`, with the blob's format version.
    static func verified(_ bytes: [UInt8], partition: Int) throws(CheckpointError) -> (header: Header, version: UInt8) {
        guard bytes.count >= headerBytes + 4 else { throw CheckpointError("checkpoint of partition \(partition) is truncated: \(bytes.count) bytes") }
        guard Array(bytes[0..<4]) == magic else { throw CheckpointError("checkpoint of partition \(partition) has a bad magic") }
        let stored = bytes.suffix(4).enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * $1.offset) }
        let computed = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<(bytes.count - 4)])) }
        guard stored == computed else { throw CheckpointError("checkpoint of partition \(partition) fails its CRC-32C (stored \(stored), computed \(computed))") }
        var r = WireReader(bytes, from: 4)
        do throws(WireError) {
            let v = try r.u8()
            guard readableVersions.contains(v) else { throw WireError("version \(v) is not one of \(readableVersions)") }
            guard let kind = Kind(rawValue: try r.u8()) else { throw WireError("unknown kind") }
            let p = Int(try r.u32())
            let header = Header(kind: kind, partition: p, epoch: try r.u64(), seq: try r.u64(), previousDigest: try r.u64(), digest: try r.u64())
            let length = Int(try r.u32())
            guard length == bytes.count - headerBytes - 4 else { throw WireError("body length \(length) does not match the blob") }
            guard p == partition else { throw WireError("belongs to partition \(p)") }
            let digest = bytes.withUnsafeBytes {
                chainDigest(version: v, previous: header.previousDigest, seq: header.seq,
                            compressedBody: UnsafeRawBufferPointer(rebasing: $0[headerBytes..<(headerBytes + length)]))
            }
            guard digest == header.digest else {
                throw WireError("digest does not match its body")
            }
            return (header, v)
        } catch {
            throw CheckpointError("checkpoint of partition \(partition): \(error.message)")
        }
    }

    /// Verifies and fully decodes a blob.
    public static func open(_ bytes: [UInt8], partition: Int) throws(CheckpointError) -> (header: Header, jobs: [JobCheckpoint]) {
        let (header, version) = try verified(bytes, partition: partition)
        let body: [UInt8]
        do {
            body = try bytes.withUnsafeBytes { all in
                try ZstdDecompressor().decompressAll(UnsafeRawBufferPointer(rebasing: all[headerBytes..<(bytes.count - 4)]), outputBytesMax: bodyBytesMax)
            }
        } catch {
            throw CheckpointError("checkpoint \(header.seq) of partition \(partition) does not decompress: \(error)")
        }
        var r = WireReader(body)
        do throws(WireError) {
            var jobs: [JobCheckpoint] = []
            for _ in 0..<(try r.count("jobs", max: 1 << 16)) { jobs.append(try JobCheckpoint.decode(&r, layout: rowLayout(version: version))) }
            guard r.isAtEnd else { throw WireError("\(r.remaining) bytes after the last job") }
            return (header, jobs)
        } catch {
            throw CheckpointError("checkpoint \(header.seq) of partition \(partition) does not decode: \(error.message)")
        }
    }
}

/// A checkpoint that must not be used, and why.
public struct CheckpointError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
