import Foundation
import Synchronization
import WeirCodec

/// What framing and reading compressed log frames needs: zstd contexts and a buffer for the
/// decompressed lines, kept between uses (one per thread at a time).
///
/// A zstd context is a few hundred KiB of tables; made per request, its pages would be cleared
/// by the kernel again for every ingest request and every fetch.
final class LogFrameScratch: @unchecked Sendable {
    // @unchecked: an instance is used by one thread at a time; `with` hands it out exclusively
    // and takes it back.
    let compressor: ZstdFrameCompressor
    let decompressor: ZstdDecompressor
    var lines: [UInt8] = []

    private init() throws {
        compressor = try ZstdFrameCompressor(level: 1)
        decompressor = try ZstdDecompressor()
    }

    /// About as many as are used at once (the data-path threads); more are made and dropped on demand.
    private static let kept = max(2, ProcessInfo.processInfo.activeProcessorCount)
    /// A line buffer above this is not kept.
    private static let keptCapacityMax = 16 << 20
    private static let pool = Mutex<[LogFrameScratch]>([])

    /// Runs `body` with a scratch of its own; nil when zstd cannot allocate a context.
    static func with<R, E: Error>(_ body: (LogFrameScratch?) throws(E) -> R) throws(E) -> R {
        let scratch: LogFrameScratch? = pool.withLock { $0.popLast() } ?? (try? LogFrameScratch())
        defer {
            if let scratch, scratch.lines.capacity <= keptCapacityMax {
                scratch.lines.removeAll(keepingCapacity: true)
                pool.withLock { if $0.count < kept { $0.append(scratch) } }
            }
        }
        return try body(scratch)
    }
}
