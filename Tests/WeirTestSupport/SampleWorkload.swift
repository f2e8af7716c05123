import Foundation
import WeirCore

/// The sample jobs of `jobs/` and the canonical clicks workload as lines, for tests that feed
/// engines directly.
public enum SampleWorkload {
    /// The sample jobs every end-to-end comparison covers.
    public static let jobs = ["clicks-per-page", "country-activity", "hot-pages", "user-sessions"]

    /// A sample job's spec, parsed from `jobs/NAME.yaml`.
    public static func spec(_ name: String) throws -> JobSpec {
        let text = try String(contentsOf: WeirExecutable.root.appendingPathComponent("jobs/\(name).yaml"), encoding: .utf8)
        return try JobSpecParser.parse(text)
    }

    /// The workload's events, one line each (no newline).
    public static func lines(_ settings: ClickWorkload.Settings) -> [[UInt8]] {
        var workload = ClickWorkload(settings)
        var out: [[UInt8]] = []
        out.reserveCapacity(settings.events)
        var line: [UInt8] = []
        for _ in 0..<settings.events {
            line.removeAll(keepingCapacity: true)
            _ = workload.next(into: &line)
            out.append(line)
        }
        return out
    }

    /// `events` lines of the workload with `seed`, over `users` users and `pages` pages.
    public static func lines(events: Int, seed: UInt64, users: Int = 2_000, pages: Int = 300) -> [[UInt8]] {
        var settings = ClickWorkload.Settings()
        settings.events = events
        settings.seed = seed
        settings.users = users
        settings.pages = pages
        return lines(settings)
    }
}
