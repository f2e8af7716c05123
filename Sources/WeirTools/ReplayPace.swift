import Foundation

/// How fast a replay goes.
package enum Pace: Sendable, Equatable {
    case max
    case rate(eventsPerSecond: Double)
    case speed(factor: Double)

    package init(rate: String?, speed: String?, max: Bool) throws {
        let chosen = [rate != nil, speed != nil, max].filter { $0 }.count
        guard chosen <= 1 else { throw fail("choose one of --rate, --speed and --max") }
        if let rate {
            let trimmed = rate.lowercased().replacingOccurrences(of: "/s", with: "")
            guard let n = parseCount(trimmed), n > 0 else { throw fail("--rate \(rate): expected events per second like 200k/s") }
            self = .rate(eventsPerSecond: Double(n))
        } else if let speed {
            guard let f = Double(speed.lowercased().replacingOccurrences(of: "x", with: "")), f > 0 else {
                throw fail("--speed \(speed): expected a factor like 10x")
            }
            self = .speed(factor: f)
        } else {
            self = .max
        }
    }

    package func wait(sentEvents: Int, batch: ReplayBatcher.Batch, started: ContinuousClock.Instant, firstTime: Int64?) async throws {
        let due: Duration
        switch self {
        case .max: return
        case .rate(let perSecond): due = .milliseconds(Int64(Double(sentEvents) / perSecond * 1_000))
        case .speed(let factor):
            guard let t = batch.frameMinTime, let first = firstTime else { return }
            due = .milliseconds(Int64(Double(t - first) / factor))
        }
        let target = started + due
        if target > ContinuousClock.now { try await Task.sleep(until: target, clock: .continuous) }
    }
}
