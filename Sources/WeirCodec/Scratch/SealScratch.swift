/// What sealing a checkpoint needs besides its output: a compression context and a body buffer.
///
/// Both are kept between checkpoints (`pool`). Made fresh each time, the context's tables and
/// the body (megabytes for a base) came from new pages the kernel had to clear: perf of
/// `bench/cluster.sh` put page faults under sealing at ~5 % of a worker's samples.
final class SealScratch: @unchecked Sendable {
    // @unchecked: an instance is used by one thread at a time; the pool hands it out
    // exclusively and takes it back.
    let compressor: ZstdFrameCompressor
    var body = WireWriter(capacity: 0)

    private init() throws { compressor = try ZstdFrameCompressor(level: 1) }

    /// A body buffer above this is not kept (a rare huge base should not pin its memory).
    private static let keptCapacityMax = 32 << 20

    static let pool = ScratchPool<SealScratch>(make: { try SealScratch() }, reuse: { scratch in
        scratch.body.removeAll()
        return scratch.body.capacity <= keptCapacityMax
    })
}
