import Foundation
import Synchronization

/// What sealing a checkpoint needs besides its output: a compression context and a body buffer.
///
/// Both are kept between checkpoints. Made fresh each time, the context's tables and the body
/// (megabytes for a base) came from new pages the kernel had to clear: perf of
/// `bench/cluster.sh` put page faults under sealing at ~5 % of a worker's samples.
final class SealScratch: @unchecked Sendable {
    // @unchecked: an instance is used by one thread at a time; `take` hands it out exclusively
    // and `give` takes it back.
    let compressor: ZstdFrameCompressor
    var body = WireWriter(capacity: 0)

    private init() throws { compressor = try ZstdFrameCompressor(level: 1) }

    /// As many as seal at once (one per data-path thread); more are made and dropped on demand.
    private static let kept = max(2, ProcessInfo.processInfo.activeProcessorCount)
    /// A body buffer above this is not kept (a rare huge base should not pin its memory).
    private static let keptCapacityMax = 32 << 20
    private static let pool = Mutex<[SealScratch]>([])

    static func take() throws -> SealScratch {
        if let scratch = pool.withLock({ $0.popLast() }) { return scratch }
        return try SealScratch()
    }

    static func give(_ scratch: SealScratch) {
        scratch.body.removeAll()
        guard scratch.body.capacity <= keptCapacityMax else { return }
        pool.withLock { if $0.count < kept { $0.append(scratch) } }
    }
}
