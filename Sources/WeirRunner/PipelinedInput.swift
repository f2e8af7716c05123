import Foundation
import WeirCodec
import WeirFiles
import WeirCore

/// `--threads 2` and more: one thread decompresses, splits and scans lines into batches; the
/// calling thread aggregates them and writes rows. With 3+ threads, frames are also
/// decompressed ahead in parallel. Results are identical to the sequential run: the engine sees
/// the same events in the same order.
struct PipelinedInput {
    let settings: JobRun.Settings
    let reader: RecordingReader
    static let batchEvents = 4096
    static let batchesInFlight = 4

    /// State the producer thread owns until it finishes the queue.
    /// `@unchecked Sendable`: only the producer touches it before `queue.finish`; the consumer
    /// reads `lines` only after `take()` returned nil, which the queue's lock orders after that.
    final class Producer: @unchecked Sendable {
        let reader: RecordingReader
        let plan: FieldPlan
        let settings: JobRun.Settings
        let queue: BatchQueue<ScannedBatch>
        var lines = 0

        init(reader: RecordingReader, plan: FieldPlan, settings: JobRun.Settings, queue: BatchQueue<ScannedBatch>) {
            self.reader = reader
            self.plan = plan
            self.settings = settings
            self.queue = queue
        }

        struct Cancelled: Error {}

        func run() {
            do {
                let scanner = EventScanner(plan: plan, rejectNested: settings.rejectNested)
                let splitter = LineSplitter(lineBytesMax: settings.lineBytesMax)
                let keepRaw = settings.deadLetterPath != nil
                var batch = ScannedBatch(slotCount: plan.names.count, capacity: PipelinedInput.batchEvents)
                func ship() throws {
                    guard batch.count > 0 else { return }
                    guard queue.put(batch) else { throw Cancelled() }
                    batch = ScannedBatch(slotCount: plan.names.count, capacity: PipelinedInput.batchEvents)
                }
                let onLine: (UnsafeRawBufferPointer, LineLocation) throws -> Void = { line, location in
                    let failure = scanner.scan(line)
                    batch.append(scanner.fields, failure: failure, line: line, location: location, keepRaw: keepRaw)
                    if batch.count >= PipelinedInput.batchEvents { try ship() }
                }
                let onTooLong: (LineLocation) throws -> Void = { location in
                    let failure = ScanFailure(.lineTooLong, "line longer than \(self.settings.lineBytesMax) bytes", at: 0)
                    batch.append(UnsafeBufferPointer(start: nil, count: 0), failure: failure,
                                 line: UnsafeRawBufferPointer(start: nil, count: 0), location: location, keepRaw: false)
                }
                try reader.forEachPiece(decoderThreads: max(0, settings.threads - 2)) { piece in
                    try splitter.feed(piece, line: onLine, tooLong: onTooLong)
                }
                try splitter.finish(line: onLine, tooLong: onTooLong)
                try ship()
                lines = splitter.linesSeen
                queue.finish(error: nil)
            } catch is Cancelled {
                queue.finish(error: nil)
            } catch {
                queue.finish(error: error)
            }
        }
    }

    /// Runs to the end of input; returns the number of lines read.
    func run(engine: JobEngine, output: RunOutput) throws -> Int {
        let queue = BatchQueue<ScannedBatch>(capacity: PipelinedInput.batchesInFlight)
        let producer = Producer(reader: reader, plan: engine.job.plan, settings: settings, queue: queue)
        let thread = Thread { producer.run() }
        thread.stackSize = 4 << 20
        thread.start()
        do {
            while let batch = try queue.take() {
                try batch.forEach { entry, fields, raw in
                    if let failure = entry.failure {
                        engine.recordRejected(failure.reason)
                        let message = failure.reason == .lineTooLong ? failure.message : "column \(failure.column + 1): \(failure.message)"
                        try output.bad(failure.reason == .lineTooLong ? nil : raw, entry.location, failure.reason, message)
                        return
                    }
                    switch engine.process(fields) {
                    case .added, .filtered, .partiallyLate: break
                    case .late:
                        try output.bad(raw, entry.location, .late, "every window of this event was already final (watermark \(engine.watermark))")
                    case .rejected(let r):
                        try output.bad(raw, entry.location, r.reason, r.message)
                    }
                }
                try output.take(engine.drainRows(), bound: engine.emissionLowerBound)
            }
        } catch {
            queue.cancelAndWait()
            throw error
        }
        return producer.lines
    }
}
