import WeirCodec
import WeirFiles
import WeirCore

/// Receives a run's rows in canonical order (window start, window end, group), a batch at a time.
public protocol RollupSink: AnyObject {
    func write(_ rows: [RollupRow]) throws
    /// Called once after the last batch.
    func close() throws
}

/// Keeps every row in memory (tests, small outputs).
public final class RollupCollector: RollupSink {
    public private(set) var rows: [RollupRow] = []
    public init() {}
    public func write(_ rows: [RollupRow]) throws { self.rows += rows }
    public func close() throws {}
}

/// Streams rows as CSV or NDJSON to a file (or standard output with path "-").
public final class RollupFileSink: RollupSink {
    private let file: WritableFile
    private let spec: JobSpec
    private let format: RollupFormat
    private var buffer: [UInt8] = []

    public init(path: String, spec: JobSpec, format: RollupFormat) throws {
        file = try path == "-" ? WritableFile(standardOutput: ()) : WritableFile(path: path)
        self.spec = spec
        self.format = format
        if format == .csv { try file.write(RollupWriter.header(spec) + "\n") }
    }

    public func write(_ rows: [RollupRow]) throws {
        buffer.removeAll(keepingCapacity: true)
        for row in rows { RollupWriter.appendLine(row, spec: spec, format: format, to: &buffer) }
        try file.write(buffer)
    }

    public func close() throws { try file.flush() }
}
