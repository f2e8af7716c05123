import WeirCodec
import WeirCore
import WeirStore
import WeirWire

extension Coordinator {
    /// The events of `stream` as they become durable, from now (or from the oldest event still
    /// in the logs), as batches of NDJSON lines: for `weir record` and anyone who wants to watch
    /// a stream. Partitions are read in turn, so each partition's order is kept; the coordinator's
    /// own control records are left out. The stream ends when the consumer stops reading.
    public func tap(stream: String, fromStart: Bool) throws(APIError) -> AsyncStream<[UInt8]> {
        let (_, set) = try streamTarget(stream)
        let logs = set.logs
        let bytesMax = settings.fetchBytesMax
        let (events, continuation) = AsyncStream.makeStream(of: [UInt8].self, bufferingPolicy: .bufferingOldest(64))
        let clock = self.clock
        let reader = Task.detached {
            var offsets = logs.map { fromStart ? $0.startOffset : $0.durableEnd }
            while !Task.isCancelled {
                var sent = false
                for (p, log) in logs.enumerated() where log.durableEnd > offsets[p] {
                    let from = offsets[p]
                    guard let chunk = try? await self.dataPath.run({ try log.read(from: max(from, log.startOffset), maxBytes: bytesMax) }),
                          chunk.count > 0 else { continue }
                    offsets[p] = chunk.nextOffset
                    let lines = Self.withoutControlRecords(chunk.lines)
                    guard !lines.isEmpty else { continue }
                    // Waits while the consumer is behind (the buffer holds 64 batches), so a slow
                    // recorder slows the tap, not the coordinator's memory.
                    while case .dropped = continuation.yield(lines) {
                        if Task.isCancelled { return }
                        try? await clock.sleep(for: .milliseconds(20))
                    }
                    sent = true
                }
                if !sent { try? await clock.sleep(for: .milliseconds(50)) }
            }
        }
        continuation.onTermination = { _ in reader.cancel() }
        return events
    }

    /// `lines` without the lines that start with `#` (`LogControlRecord`).
    nonisolated static func withoutControlRecords(_ lines: [UInt8]) -> [UInt8] {
        guard lines.contains(LogControlRecord.marker) else { return lines }
        var out: [UInt8] = []
        out.reserveCapacity(lines.count)
        var start = 0
        while start < lines.count {
            var end = start
            while end < lines.count && lines[end] != 10 { end += 1 }
            if lines[start] != LogControlRecord.marker { out += lines[start..<min(end + 1, lines.count)] }
            start = end + 1
        }
        return out
    }
}
