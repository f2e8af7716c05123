import Foundation
import WeirCodec
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
        public var streamInFile: String?
    }

    public let settings: Settings

    public init(_ settings: Settings) { self.settings = settings }

    /// Runs to the end of the input, writing rows to `sink` in canonical order as soon as no
    /// earlier row can follow (so memory holds open windows, not the whole output).
    /// `onFinalRows` sees rows as their windows become final.
    public func run(sink: RollupSink, onFinalRows: ([RollupRow]) -> Void = { _ in }) throws -> Report {
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
        let splitter = LineSplitter(lineBytesMax: settings.lineBytesMax)
        var pending: [RollupRow] = []
        var rowCount = 0, notFinal = 0
        var windows = Set<Window>()
        var lastWrittenWindow: Window?
        func emit(_ rows: [RollupRow]) throws {
            guard !rows.isEmpty else { return }
            rowCount += rows.count
            for row in rows where row.window != lastWrittenWindow {
                windows.insert(row.window)
                lastWrittenWindow = row.window
            }
            notFinal += rows.reduce(0) { $0 + ($1.isFinal ? 0 : 1) }
            try sink.write(rows)
        }
        var bad: Int64 = 0
        let maxBad = settings.maxBad

        func onBad(_ line: UnsafeRawBufferPointer?, _ location: LineLocation, _ reason: BadEventReason, _ message: String) throws {
            try deadLetter?.write(line: line, at: location, reason: reason, message: message)
            guard reason != .late else { return }
            bad += 1
            if let maxBad, bad > maxBad {
                throw RunError.tooManyBad(limit: maxBad, last: "\(settings.inputPath): \(location): \(reason.rawValue): \(message)")
            }
        }
        let onLine: (UnsafeRawBufferPointer, LineLocation) throws -> Void = { line, location in
            if let (reason, message) = processor.process(line) { try onBad(line, location, reason, message) }
        }
        let onTooLong: (LineLocation) throws -> Void = { location in
            processor.recordTooLong()
            try onBad(nil, location, .lineTooLong, "line longer than \(settings.lineBytesMax) bytes")
        }
        try reader.forEachPiece(decoderThreads: max(0, settings.threads - 1)) { piece in
            try splitter.feed(piece, line: onLine, tooLong: onTooLong)
            let final = processor.drainRows()
            guard !final.isEmpty else { return }
            onFinalRows(final)
            pending += final
            // Write out every row no later row can precede.
            let bound = processor.emissionLowerBound
            guard pending.contains(where: { $0.window.start < bound }) else { return }
            var ready: [RollupRow] = []
            var later: [RollupRow] = []
            for row in pending {
                if row.window.start < bound { ready.append(row) } else { later.append(row) }
            }
            pending = later
            try emit(RollupRow.sortedCanonically(ready))
        }
        try splitter.finish(line: onLine, tooLong: onTooLong)
        let last = processor.drainRows()
        onFinalRows(last)
        pending += last
        pending += processor.finish()
        try emit(RollupRow.sortedCanonically(pending))
        try sink.close()
        try deadLetter?.close()
        let elapsed = ContinuousClock.now - start
        return Report(
            rowCount: rowCount, windowCount: windows.count, notFinalRows: notFinal, stats: processor.stats, lateLedger: processor.lateLedger, watermark: processor.watermark,
            lines: splitter.linesSeen,
            elapsedSeconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18,
            streamInFile: reader.stream)
    }
}

/// Why a run stopped.
public enum RunError: Error, CustomStringConvertible {
    case tooManyBad(limit: Int64, last: String)
    case streamMismatch(recorded: String, job: String, path: String)
    case deadLetterIsInput(path: String)

    public var description: String {
        switch self {
        case .tooManyBad(let limit, let last):
            return "more than \(limit) bad events (--max-bad \(limit)); the last was \(last)"
        case .streamMismatch(let recorded, let job, let path):
            return "\(path) records stream \"\(recorded)\" but the job reads stream \"\(job)\""
        case .deadLetterIsInput(let path):
            return "--dead-letter \(path) is the input file; writing it would destroy the input"
        }
    }
}
