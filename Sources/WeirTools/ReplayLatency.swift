import Foundation
import Synchronization

/// End-to-end latency of a replay, sampled: about twice a second a sent message is marked;
/// when its acknowledgement arrives the partitions' log ends are noted, and the sample
/// completes when every partition's owner has processed up to those ends — from then on the
/// message's events are in every rollup answer. Latency = send → visible. The log ends are read
/// just after the acknowledgement, so a sample can include a few later events: an upper bound.
package final class ReplayLatency: Sendable {
    private struct Sample { var sent: ContinuousClock.Instant; var targets: [Int: Int]? }
    private struct State {
        package var marked: [UInt64: ContinuousClock.Instant] = [:]
        package var waiting: [Sample] = []
        package var done: [Double] = []
        package var lastMark = ContinuousClock.now - .seconds(1)
    }
    private let state = Mutex(State())
    package let client: ClusterClient

    package init(client: ClusterClient) { self.client = client }

    /// Called before sending message `seq`: marks it when the last mark is 500 ms old.
    package func sending(seq: UInt64) {
        state.withLock { s in
            let now = ContinuousClock.now
            guard now - s.lastMark >= .milliseconds(500) else { return }
            s.lastMark = now
            s.marked[seq] = now
        }
    }

    /// Called when message `seq` is acknowledged.
    package func acknowledged(seq: UInt64) async {
        guard let sent = state.withLock({ $0.marked.removeValue(forKey: seq) }) else { return }
        guard let ends = await progress()?.ends else { return }
        state.withLock { $0.waiting.append(Sample(sent: sent, targets: ends)) }
    }

    /// Polls the cluster every 50 ms and completes samples; runs until cancelled.
    package func watch() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(50))
            guard state.withLock({ !$0.waiting.isEmpty }), let consumed = await progress()?.consumed else { continue }
            let now = ContinuousClock.now
            state.withLock { s in
                s.waiting.removeAll { sample in
                    guard let targets = sample.targets, targets.allSatisfy({ (consumed[$0.key] ?? 0) >= $0.value }) else { return false }
                    let d = now - sample.sent
                    s.done.append(Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15)
                    return true
                }
            }
        }
    }

    /// Waits (up to `seconds`) for the samples still in flight.
    package func drain(seconds: Double) async {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while ContinuousClock.now < deadline, state.withLock({ !$0.waiting.isEmpty || !$0.marked.isEmpty }) {
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    /// `p50 / p90 / p99 / max` in milliseconds, with the sample count.
    package var summary: String {
        let values = state.withLock { $0.done }.sorted()
        guard !values.isEmpty else { return "no latency samples completed" }
        func at(_ q: Double) -> String { String(format: "%.0f", values[min(values.count - 1, max(0, Int((Double(values.count) * q).rounded(.up)) - 1))]) }
        return "send → visible in rollups (ms, \(values.count) samples): p50 \(at(0.5)), p90 \(at(0.9)), p99 \(at(0.99)), max \(at(1.0))"
    }

    private func progress() async -> (ends: [Int: Int], consumed: [Int: Int])? {
        guard let status = try? await client.get("/v1/cluster"), let partitions = status["partitions"] as? [[String: Any]] else { return nil }
        var ends: [Int: Int] = [:], consumed: [Int: Int] = [:]
        for p in partitions {
            guard let n = p["partition"] as? Int else { continue }
            ends[n] = p["log_end"] as? Int ?? 0
            consumed[n] = p["consumed"] as? Int ?? 0
        }
        return (ends, consumed)
    }
}
