import Foundation
import WeirCore

/// Hands rows to another thread that formats and writes them through the wrapped sink, so a
/// pipelined run spreads scanning, aggregating and writing over the cores. Order is kept (FIFO);
/// a failure of the wrapped sink surfaces at the next `write` or at `close`.
final class BackgroundSink: RollupSink {
    /// `@unchecked Sendable`: after `start`, only the writer thread touches `sink`; the caller
    /// reads `failure` only after `queue.cancelAndWait()` or after the writer drained the queue,
    /// both ordered by the queue's lock.
    final class Writer: @unchecked Sendable {
        let sink: RollupSink
        let queue: BatchQueue<[RollupRow]>
        let done = DispatchSemaphore(value: 0)
        var failure: Error?

        init(sink: RollupSink, queue: BatchQueue<[RollupRow]>) {
            self.sink = sink
            self.queue = queue
        }

        func run() {
            defer { done.signal() }
            do {
                while let rows = try queue.take() { try sink.write(rows) }
                try sink.close()
            } catch {
                failure = error
                queue.abandon()
            }
        }
    }

    private let writer: Writer
    private let queue = BatchQueue<[RollupRow]>(capacity: 8)
    private var closed = false

    init(wrapping sink: RollupSink) {
        writer = Writer(sink: sink, queue: queue)
        let thread = Thread { [writer] in writer.run() }
        thread.stackSize = 4 << 20
        thread.start()
    }

    func write(_ rows: [RollupRow]) throws {
        guard queue.put(rows) else {
            // The writer stopped: report why.
            writer.done.wait()
            throw writer.failure ?? RunError.outputStopped
        }
    }

    func close() throws {
        guard !closed else { return }
        closed = true
        queue.finish(error: nil)
        writer.done.wait()
        if let failure = writer.failure { throw failure }
    }

    deinit {
        if !closed {
            queue.finish(error: nil)
            writer.done.wait()
        }
    }
}
