/// A record the coordinator writes into a partition log among the events: one line that no
/// producer can send (ingest accepts JSON objects only, and these lines start with `#`).
/// Being in the log, it is replayed exactly like the events around it, so a partition rebuilt
/// from a checkpoint and the log reaches the same state.
///
/// `#watermark TO JOB`: the partition is idle; job JOB's watermark moves up to TO (event-time
/// ms), where the partition's active peers are. See `IdleWatermarkPlanner`.
public enum LogControlRecord: Sendable, Equatable {
    case watermark(job: String, to: Int64)

    public static let marker = UInt8(ascii: "#")

    /// The line, with its newline.
    public var line: [UInt8] {
        switch self {
        case .watermark(let job, let to): return Array("#watermark \(to) \(job)\n".utf8)
        }
    }

    /// Parses a line that starts with `#`; nil for an unknown or malformed record (which a
    /// reader skips: a newer coordinator may write records this version does not know).
    public static func parse(_ line: UnsafeRawBufferPointer) -> LogControlRecord? {
        let text = String(decoding: line, as: UTF8.self)
        let parts = text.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "#watermark", let to = Int64(parts[1]), !parts[2].isEmpty else { return nil }
        return .watermark(job: String(parts[2]), to: to)
    }
}
