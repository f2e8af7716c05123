import ArgumentParser
import WeirTools
import WeirCodec
import WeirFiles
import WeirCore

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a recording's metadata: stream, events, time range, frames.")

    @Argument(help: "Recording (.zst) or NDJSON file.") var recording: String
    @Flag(help: "List every frame: offset, sizes, events, first line, event-time range.") var frames = false

    func run() throws {
        let reader: RecordingReader
        do { reader = try RecordingReader(path: recording) } catch { throw fail("\(error)") }
        print("file: \(recording) (\(reader.file.size) bytes)")
        switch reader.kind {
        case .plainText: print("kind: plain NDJSON")
        case .zstdStream: print("kind: zstd stream without a Weir index (read sequentially)")
        case .indexed:
            guard let index = reader.index else { return }
            print("kind: Weir recording")
            print("stream: \(index.stream)")
            print("events: \(index.events)")
            if let lo = index.minTime, let hi = index.maxTime { print("event time: \(Self.time(lo)) … \(Self.time(hi))") }
            let raw = index.frames.reduce(0) { $0 + $1.decompressed }
            print("frames: \(index.frames.count), \(raw) bytes decompressed")
            guard frames else { return }
            print("frame  offset  compressed  decompressed  events  first_line  min_time (epoch ms)  max_time (epoch ms)")
            for (i, f) in index.frames.enumerated() {
                let lo = f.minTime.map(Self.time) ?? "-", hi = f.maxTime.map(Self.time) ?? "-"
                print("\(i)  \(f.offset)  \(f.compressed)  \(f.decompressed)  \(f.events)  \(f.firstLine)  \(lo)  \(hi)")
            }
        }
    }

    /// An event time as ISO-8601 (UTC) with its epoch milliseconds beside it.
    static func time(_ ms: Int64) -> String { "\(EventTimeText.iso(ms)) (\(ms))" }
}
