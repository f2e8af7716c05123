import WeirCodec
import WeirFiles
import WeirCore

/// `weir gen`: writes the canonical `clicks` workload to a recording.
public enum GenerateRecording {
    /// Writes `settings.events` events to `path`; `progress` is called every 100,000 events.
    public static func run(_ settings: ClickWorkload.Settings, path: String, frameBytesTarget: Int = 4 << 20,
                           progress: (Int) -> Void = { _ in }) throws -> (events: Int, bytes: Int) {
        let writer = try RecordingWriter(path: path, stream: "clicks", frameBytesTarget: frameBytesTarget)
        var workload = ClickWorkload(settings)
        var line: [UInt8] = []
        line.reserveCapacity(256)
        var n = 0
        while !workload.isFinished {
            line.removeAll(keepingCapacity: true)
            let ts = workload.next(into: &line)
            try writer.append(line: line, eventTime: ts)
            n += 1
            if n % 100_000 == 0 { progress(n) }
        }
        try writer.finish()
        progress(n)
        return (n, writer.bytesWritten)
    }
}
