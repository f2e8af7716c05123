import WeirCodec
import Foundation

/// Writes a Weir recording: NDJSON lines grouped into independent zstd frames, plus an index.
///
/// Each frame holds whole lines (about `frameBytesTarget` of them), so a reader can start at any
/// frame. `finish()` writes the index and footer and fsyncs; a file without them is still a
/// valid `.zst` stream that readers accept, only without seeking.
public final class RecordingWriter {
    public let stream: String
    public let frameBytesTarget: Int
    private let file: WritableFile
    private let compressor: ZstdFrameCompressor
    private var pending: [UInt8] = []
    private var pendingEvents = 0
    private var frames: [RecordingIndex.Frame] = []
    private var events = 0
    private var decompressedBytes = 0
    private var minTime: Int64?
    private var maxTime: Int64?
    private var frameMinTime: Int64?
    private var frameMaxTime: Int64?
    private var finished = false

    public init(path: String, stream: String, frameBytesTarget: Int = 4 << 20, level: Int32 = 3) throws {
        precondition(frameBytesTarget > 0 && frameBytesTarget <= RecordingFormat.frameBytesMax / 2,
                     "frameBytesTarget must be in 1...\(RecordingFormat.frameBytesMax / 2)")
        self.stream = stream
        self.frameBytesTarget = frameBytesTarget
        file = try WritableFile(path: path)
        compressor = try ZstdFrameCompressor(level: level)
        pending.reserveCapacity(frameBytesTarget + 4096)
        let header = try JSONEncoder().encode(RecordingHeader(version: 1, stream: stream))
        try file.write(RecordingFormat.skippableFrame(magic: RecordingFormat.headerMagic, payload: RecordingFormat.headerTag + Array(header)))
    }

    /// Appends one event line (without newline); `eventTime` feeds the recorded time range.
    public func append(line: UnsafeRawBufferPointer, eventTime: Int64?) throws {
        precondition(!finished, "append after finish")
        pending.append(contentsOf: line)
        pending.append(UInt8(ascii: "\n"))
        pendingEvents += 1
        if let t = eventTime {
            minTime = Swift.min(minTime ?? t, t)
            maxTime = Swift.max(maxTime ?? t, t)
            frameMinTime = Swift.min(frameMinTime ?? t, t)
            frameMaxTime = Swift.max(frameMaxTime ?? t, t)
        }
        if pending.count >= frameBytesTarget { try flushFrame() }
    }

    public func append(line: [UInt8], eventTime: Int64?) throws {
        try line.withUnsafeBytes { try append(line: $0, eventTime: eventTime) }
    }

    /// Writes the last frame, the index and the footer, and fsyncs.
    public func finish() throws {
        guard !finished else { return }
        try flushFrame()
        finished = true
        let index = RecordingIndex(stream: stream, events: events, minTime: minTime, maxTime: maxTime, frames: frames)
        let json = Array(try JSONEncoder().encode(index))
        var payload = RecordingFormat.indexTag + json
        RecordingFormat.appendLE(CRC32C.checksum(json), to: &payload)
        let indexOffset = file.bytesWritten
        try file.write(RecordingFormat.skippableFrame(magic: RecordingFormat.indexMagic, payload: payload))
        var footer: [UInt8] = []
        RecordingFormat.appendLE(UInt64(indexOffset), to: &footer)
        footer += RecordingFormat.footerTag
        try file.write(RecordingFormat.skippableFrame(magic: RecordingFormat.footerMagic, payload: footer))
        try file.sync()
    }

    public var eventsWritten: Int { events + pendingEvents }
    public var bytesWritten: Int { file.bytesWritten }

    private func flushFrame() throws {
        guard !pending.isEmpty else { return }
        let frame = try compressor.compress(pending)
        frames.append(RecordingIndex.Frame(
            offset: file.bytesWritten, compressed: frame.count, decompressed: pending.count,
            events: pendingEvents, firstLine: events + 1, firstByte: decompressedBytes,
            minTime: frameMinTime, maxTime: frameMaxTime))
        frameMinTime = nil
        frameMaxTime = nil
        try file.write(frame)
        events += pendingEvents
        decompressedBytes += pending.count
        pending.removeAll(keepingCapacity: true)
        pendingEvents = 0
    }
}
