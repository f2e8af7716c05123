import Foundation
import Synchronization
import WeirCodec
import WeirFiles

/// Reads a recording on its own thread and hands out line-aligned batches of about
/// `batchBytes`, at most `window` ahead of what the coordinator has acknowledged (the replay's
/// backpressure: `acknowledge()` lets the next batch go).
package final class ReplayBatcher: Sendable {
    package struct Batch: Sendable {
        package var lines: [UInt8]
        package var events: Int
        /// Largest event time known for the batch's frame (indexed recordings), for `--speed`.
        package var frameMinTime: Int64?
        /// Sent once already (a later send is a resend).
        package var wasSent = false
    }

    package let stream: AsyncThrowingStream<Batch, any Error>
    private let credits: DispatchSemaphore

    package init(path: String, batchBytes: Int, window: Int) throws {
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
        let refused = self.refused
        let thread = Thread {
            // The reader is opened again on this thread: RecordingReader is not Sendable.
            let reader: RecordingReader
            do { reader = try RecordingReader(path: path) } catch { continuation.finish(throwing: error); return }
            // The same bounded splitter as `weir run`: blank lines are skipped, a line over 1 MiB
            // is refused here (the coordinator would refuse it too) without being held in memory.
            let splitter = LineSplitter()
            var batch: [UInt8] = []
            batch.reserveCapacity(batchBytes + splitter.lineBytesMax + 1)
            var events = 0
            var batchTime: Int64?
            var pieceTime: Int64?
            func emit() {
                guard events > 0 else { return }
                credits.wait()
                continuation.yield(Batch(lines: batch, events: events, frameMinTime: batchTime))
                batch.removeAll(keepingCapacity: true)
                events = 0
                batchTime = nil
            }
            func line(_ bytes: UnsafeRawBufferPointer, _ at: LineLocation) {
                if events == 0 { batchTime = pieceTime }
                batch.append(contentsOf: bytes)
                batch.append(10)
                events += 1
                if batch.count >= batchBytes { emit() }
            }
            func tooLong(_ at: LineLocation) { refused.append(at) }
            func feed(_ piece: UnsafeRawBufferPointer, time: Int64?) {
                pieceTime = time
                splitter.feed(piece, line: line, tooLong: tooLong)
            }
            do {
                if let frames = reader.index?.frames {
                    for frame in frames {
                        try reader.forEachFrame([frame]) { feed($0, time: frame.minTime) }
                    }
                } else {
                    try reader.forEachPiece { feed($0, time: nil) }
                }
                splitter.finish(line: line, tooLong: tooLong)
                emit()
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        thread.name = "weir-replay-reader"
        thread.start()
    }

    /// Events in the recording, when its index says.
    package let totalEvents: Int?
    package let firstTime: Int64?

    package func acknowledge() { credits.signal() }

    /// Lines refused before sending because they are longer than 1 MiB (`line_too_long`).
    package let refused = RefusedLines()

    /// Where the refused lines were, shared by the reading thread and the command.
    package final class RefusedLines: Sendable {
        private let lines = Mutex<[LineLocation]>([])
        package func append(_ at: LineLocation) { lines.withLock { $0.append(at) } }
        package var all: [LineLocation] { lines.withLock { $0 } }
    }
}
