import WeirCodec

/// What writing and reading compressed log frames needs: zstd contexts and a buffer for the
/// decompressed lines, kept between uses (`pool`). Plain frames need none of it.
///
/// A zstd context is a few hundred KiB of tables; made per request, its pages would be cleared
/// by the kernel again for every ingest request and every fetch.
final class LogFrameScratch: @unchecked Sendable {
    // @unchecked: an instance is used by one thread at a time; the pool hands it out
    // exclusively and takes it back.
    let compressor: ZstdFrameCompressor
    let decompressor: ZstdDecompressor
    var lines: [UInt8] = []

    private init() throws {
        compressor = try ZstdFrameCompressor(level: 1)
        decompressor = try ZstdDecompressor()
    }

    /// A line buffer above this is not kept.
    private static let keptCapacityMax = 16 << 20

    static let pool = ScratchPool<LogFrameScratch>(make: { try LogFrameScratch() }, reuse: { scratch in
        scratch.lines.removeAll(keepingCapacity: true)
        return scratch.lines.capacity <= keptCapacityMax
    })
}

extension LogFrame {
    /// `encodeFrames`, compressed with a kept context when `compressed` (stored plain when zstd
    /// cannot allocate one, which is as correct).
    static func encodeFrames(lines: UnsafeRawBufferPointer, count: Int, compressed: Bool) -> [(bytes: [UInt8], count: Int)] {
        guard compressed, let scratch = try? LogFrameScratch.pool.take() else { return encodeFrames(lines: lines, count: count) }
        defer { LogFrameScratch.pool.give(scratch) }
        return encodeFrames(lines: lines, count: count, compressor: scratch.compressor)
    }
}
