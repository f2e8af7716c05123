import Foundation
import WeirCodec
import WeirFiles
import WeirCore

/// `weir run`: one job over one recording in this process.
public struct JobRun {
    public struct Settings: Sendable {
        public var spec: JobSpec
        public var inputPath: String
        /// Total threads: with 2 or more, frames are decompressed ahead on `threads - 1` threads.
        public var threads: Int = 1
        public var useReference = false
        public var rejectNested = false
        public var deadLetterPath: String?
        /// Fail the run when more than this many events are bad (nil: never).
        public var maxBad: Int64?
        public var lineBytesMax = LineSplitter.defaultLineBytesMax
        /// Rows that must wait for earlier ones beyond this count are spilled to sorted runs on disk.
        public var rowsInMemoryMax = 200_000

        public init(spec: JobSpec, inputPath: String) {
            self.spec = spec
            self.inputPath = inputPath
        }
    }

    /// What a run produced (the rows went to the sink).
    public struct Report: Sendable {
        public var rowCount: Int
        public var windowCount: Int
        /// Rows flushed at end of input before their window was final.
        public var notFinalRows: Int
        public var stats: EngineStats
        public var lateLedger: LateLedger
        public var watermark: Int64
        public var lines: Int
        public var elapsedSeconds: Double
    }

    public let settings: Settings

    public init(_ settings: Settings) { self.settings = settings }

    /// Runs to the end of the input, writing rows to `sink` in canonical order as soon as no
    /// earlier row can follow (so memory holds open windows, not the whole output).
    /// `onFinalRows` sees rows as their windows become final.
    public func run(sink: RollupSink, onFinalRows: @escaping ([RollupRow]) -> Void = { _ in }) throws -> Report {
        let start = ContinuousClock.now
        let reader = try RecordingReader(path: settings.inputPath)
        if let recorded = reader.stream, recorded != settings.spec.stream {
            throw RunError.streamMismatch(recorded: recorded, job: settings.spec.stream, path: settings.inputPath)
        }
        let processor: LineProcessor = settings.useReference
            ? ReferenceLineProcessor(spec: settings.spec, rejectNested: settings.rejectNested)
            : EngineLineProcessor(spec: settings.spec, rejectNested: settings.rejectNested)
        if let dl = settings.deadLetterPath,
           URL(fileURLWithPath: dl).standardizedFileURL.resolvingSymlinksInPath()
               == URL(fileURLWithPath: settings.inputPath).standardizedFileURL.resolvingSymlinksInPath() {
            throw RunError.deadLetterIsInput(path: dl)
        }
        let deadLetter = try settings.deadLetterPath.map { try DeadLetterWriter(path: $0) }
        // With two or more threads, formatting and writing rows happens on its own thread.
        let output = RunOutput(sink: settings.threads >= 2 ? BackgroundSink(wrapping: sink) : sink, deadLetter: deadLetter, maxBad: settings.maxBad,
                               inputPath: settings.inputPath, rowsInMemoryMax: settings.rowsInMemoryMax,
                               onFinalRows: onFinalRows)
        let lines: Int
        if let engine = processor as? EngineLineProcessor, settings.threads >= 2 {
            lines = try PipelinedInput(settings: settings, reader: reader).run(engine: engine.engine, output: output)
        } else {
            lines = try runSequentially(reader: reader, processor: processor, output: output)
        }
        try output.finish(processor.drainRows(), flushed: processor.finish())
        let elapsed = ContinuousClock.now - start
        return Report(
            rowCount: output.rowCount, windowCount: output.windowCount, notFinalRows: output.notFinalRows,
            stats: processor.stats, lateLedger: processor.lateLedger, watermark: processor.watermark, lines: lines,
            elapsedSeconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
    }

    /// Reads, scans and aggregates on this thread (`threads - 1` threads decompress ahead).
    private func runSequentially(reader: RecordingReader, processor: LineProcessor, output: RunOutput) throws -> Int {
        let splitter = LineSplitter(lineBytesMax: settings.lineBytesMax)
        let onLine: (UnsafeRawBufferPointer, LineLocation) throws -> Void = { line, location in
            if let (reason, message) = processor.process(line) { try output.bad(line, location, reason, message) }
        }
        let onTooLong: (LineLocation) throws -> Void = { location in
            processor.recordTooLong()
            try output.bad(nil, location, .lineTooLong, "line longer than \(settings.lineBytesMax) bytes")
        }
        try reader.forEachPiece(decoderThreads: max(0, settings.threads - 1)) { piece in
            try splitter.feed(piece, line: onLine, tooLong: onTooLong)
            try output.take(processor.drainRows(), bound: processor.emissionLowerBound)
        }
        try splitter.finish(line: onLine, tooLong: onTooLong)
        return splitter.linesSeen
    }
}

/// Why a run stopped.
public enum RunError: Error, CustomStringConvertible {
    case tooManyBad(limit: Int64, last: String)
    case streamMismatch(recorded: String, job: String, path: String)
    case deadLetterIsInput(path: String)
    case outputStopped

    public var description: String {
        switch self {
        case .tooManyBad(let limit, let last):
            return "more than \(limit) bad events (--max-bad \(limit)); the last was \(last)"
        case .streamMismatch(let recorded, let job, let path):
            return "\(path) records stream \"\(recorded)\" but the job reads stream \"\(job)\""
        case .outputStopped:
            return "the output writer stopped"
        case .deadLetterIsInput(let path):
            return "--dead-letter \(path) is the input file; writing it would destroy the input"
        }
    }
}
