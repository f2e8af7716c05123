import WeirCore

/// Splits an NDJSON request body into events, validates each, and groups the valid ones by
/// partition, ready to append. Bad lines are counted and the first `problemsMax` are described
/// (1-based line number, reason code, message with the column). Empty lines are skipped.
public struct IngestBatcher {
    public struct Routed: Sendable {
        /// Per partition: whole lines, each ending in `\n`.
        public var lines: [[UInt8]]
        public var counts: [Int]
        public var accepted = 0
        public var rejected = 0
        public var problems: [IngestProblemInfo] = []
        /// Every rejected line counted by its reason code.
        public var rejectedByReason: [String: Int] = [:]
    }

    public let router: EventRouter
    public let lineBytesMax: Int
    public let problemsMax: Int

    public init(router: EventRouter, lineBytesMax: Int = 1 << 20, problemsMax: Int = 100) {
        self.router = router
        self.lineBytesMax = lineBytesMax
        self.problemsMax = problemsMax
    }

    public func route(_ body: [UInt8]) -> Routed {
        let partitions = router.partitioner.partitionCount
        var out = Routed(lines: Array(repeating: [], count: partitions), counts: Array(repeating: 0, count: partitions))
        // Each partition gets about an equal share of the body: reserving it (plus slack for an
        // uneven spread) saves the copies of growing 16 arrays line by line.
        let share = body.count / max(1, partitions)
        for p in 0..<partitions { out.lines[p].reserveCapacity(share + share / 4 + 256) }
        body.withUnsafeBytes { bytes in
            var start = 0
            var lineNumber = 0
            while start < bytes.count {
                let end = bytes.indexOfNewline(from: start)
                lineNumber += 1
                var stop = end
                if stop > start && bytes[stop - 1] == 13 { stop -= 1 }  // tolerate CRLF
                let line = UnsafeRawBufferPointer(rebasing: bytes[start..<stop])
                start = end + 1
                if line.allSatisfy({ $0 == 32 || $0 == 9 }) { continue }
                if line.count > lineBytesMax {
                    reject(&out, lineNumber, "line_too_long", "line of \(line.count) bytes exceeds the \(lineBytesMax)-byte limit")
                    continue
                }
                switch router.route(line) {
                case .success(let p):
                    out.lines[p].append(contentsOf: line)
                    out.lines[p].append(10)
                    out.counts[p] += 1
                    out.accepted += 1
                case .failure(let failure):
                    reject(&out, lineNumber, failure.reason.rawValue, "column \(failure.column + 1): \(failure.message)")
                }
            }
        }
        return out
    }

    private func reject(_ out: inout Routed, _ line: Int, _ reason: String, _ message: String) {
        out.rejected += 1
        out.rejectedByReason[reason, default: 0] += 1
        if out.problems.count < problemsMax { out.problems.append(IngestProblemInfo(line: line, reason: reason, message: message)) }
    }
}
