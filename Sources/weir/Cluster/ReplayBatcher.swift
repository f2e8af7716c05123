import Foundation
import WeirCodec

/// Reads a recording on its own thread and hands out line-aligned batches of about
/// `batchBytes`, at most `window` ahead of what the coordinator has acknowledged (the replay's
/// backpressure: `acknowledge()` lets the next batch go).
final class ReplayBatcher: Sendable {
    struct Batch: Sendable {
        var lines: [UInt8]
        var events: Int
        /// Largest event time known for the batch's frame (indexed recordings), for `--speed`.
        var frameMinTime: Int64?
    }

    let stream: AsyncThrowingStream<Batch, any Error>
    private let credits: DispatchSemaphore

    init(path: String, batchBytes: Int, window: Int) throws {
        let reader = try RecordingReader(path: path)
        totalEvents = reader.index?.events
        firstTime = reader.index?.minTime
        // Made at 0 and raised to `window`: libdispatch traps (SIGILL) when a semaphore is freed
        // below its initial value, which a replay that stops before every batch is acknowledged
        // (it cannot connect, the coordinator fails) leaves it at.
        let credits = DispatchSemaphore(value: 0)
        for _ in 0..<window { credits.signal() }
        self.credits = credits
        let (stream, continuation) = AsyncThrowingStream<Batch, any Error>.makeStream()
        self.stream = stream
        let thread = Thread {
            // The reader is opened again on this thread: RecordingReader is not Sendable.
            let reader: RecordingReader
            do { reader = try RecordingReader(path: path) } catch { continuation.finish(throwing: error); return }
            var pending: [UInt8] = []
            func emit(_ bytes: [UInt8], time: Int64?) {
                credits.wait()
                continuation.yield(Batch(lines: bytes, events: Self.lineCount(bytes), frameMinTime: time))
            }
            func feed(_ piece: UnsafeRawBufferPointer, time: Int64?) {
                pending.append(contentsOf: piece)
                // Batches are cut from `start` on and the rest is moved down once per piece:
                // removing each batch from the front moved the rest of a multi-MB frame every
                // time (memmove was ~23 % of the replay client's samples under --max).
                var start = 0
                while pending.count - start >= batchBytes {
                    var cut = start + batchBytes
                    while cut < pending.count && pending[cut - 1] != 10 { cut += 1 }
                    guard pending[cut - 1] == 10 else { break }
                    emit(Array(pending[start..<cut]), time: time)
                    start = cut
                }
                if start > 0 { pending.removeFirst(start) }
            }
            do {
                if let frames = reader.index?.frames {
                    for frame in frames {
                        try reader.forEachFrame([frame]) { feed($0, time: frame.minTime) }
                    }
                } else {
                    try reader.forEachPiece { feed($0, time: nil) }
                }
                if !pending.isEmpty {
                    if pending.last != 10 { pending.append(10) }
                    emit(pending, time: nil)
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        thread.name = "weir-replay-reader"
        thread.start()
    }

    /// Events in the recording, when its index says.
    let totalEvents: Int?
    let firstTime: Int64?

    func acknowledge() { credits.signal() }

    /// The number of `\n` bytes in `bytes` (its events: a batch holds whole lines), found with
    /// `memchr` (`indexOfNewline`) instead of testing every byte.
    static func lineCount(_ bytes: [UInt8]) -> Int {
        bytes.withUnsafeBytes { raw in
            var lines = 0, at = raw.indexOfNewline(from: 0)
            while at < raw.count {
                lines += 1
                at = raw.indexOfNewline(from: at + 1)
            }
            return lines
        }
    }
}
