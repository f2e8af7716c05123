import WeirCodec
import WeirCore
import WeirReference

/// What a run does with each line: the engine or the reference behind one interface.
protocol LineProcessor: AnyObject {
    /// Processes a line; returns the reason and message when it is rejected or late.
    func process(_ line: UnsafeRawBufferPointer) -> (BadEventReason, String)?
    func recordTooLong()
    /// Rows final so far (engine) — the reference returns everything at `finish`.
    func drainRows() -> [RollupRow]
    func finish() -> [RollupRow]
    var stats: EngineStats { get }
    var lateLedger: LateLedger { get }
    var watermark: Int64 { get }
    /// No row with a smaller window start will be returned by later calls.
    var emissionLowerBound: Int64 { get }
}

/// The real engine: byte scanner + `JobEngine`.
final class EngineLineProcessor: LineProcessor {
    let scanner: EventScanner
    let engine: JobEngine

    init(spec: JobSpec, rejectNested: Bool) {
        let job = CompiledJob(spec)
        scanner = EventScanner(plan: job.plan, rejectNested: rejectNested)
        engine = JobEngine(job)
    }

    func process(_ line: UnsafeRawBufferPointer) -> (BadEventReason, String)? {
        if let failure = scanner.scan(line) {
            engine.recordRejected(failure.reason)
            return (failure.reason, "column \(failure.column + 1): \(failure.message)")
        }
        let outcome = engine.process(scanner.fields)
        switch outcome {
        case .added, .filtered, .partiallyLate: return nil
        case .late: return (.late, "every window of this event was already final (watermark \(engine.watermark))")
        case .rejected(let r): return (r.reason, r.message)
        }
    }

    func recordTooLong() { engine.recordRejected(.lineTooLong) }
    func drainRows() -> [RollupRow] { engine.drainRows() }
    func finish() -> [RollupRow] {
        engine.finish()
        return engine.drainRows()
    }
    var stats: EngineStats { engine.stats }
    var lateLedger: LateLedger { engine.lateLedger }
    var watermark: Int64 { engine.watermark }
    var emissionLowerBound: Int64 { engine.emissionLowerBound }
}

/// The reference implementation (`weir run --reference`).
final class ReferenceLineProcessor: LineProcessor {
    let reference: ReferenceEngine

    init(spec: JobSpec, rejectNested: Bool) {
        reference = ReferenceEngine(spec: spec, rejectNested: rejectNested)
    }

    func process(_ line: UnsafeRawBufferPointer) -> (BadEventReason, String)? {
        reference.process(line: Array(line)).map { ($0, "rejected by the reference: \($0.rawValue)") }
    }

    func recordTooLong() { reference.recordTooLong() }
    func drainRows() -> [RollupRow] { [] }
    func finish() -> [RollupRow] { reference.finish() }
    var stats: EngineStats { reference.stats }
    var lateLedger: LateLedger { reference.lateLedger }
    var watermark: Int64 { reference.watermark }
    var emissionLowerBound: Int64 { .min }
}
