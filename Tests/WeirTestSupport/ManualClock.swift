import Foundation
import Synchronization
import WeirCore

/// A `ProcessClock` that moves only when the test says so: `advance(by:)` wakes every sleeper
/// whose deadline it passes. A process shell given one does nothing time-driven (renewals,
/// checkpoints, timeouts) until the test advances it, so "nothing happens within N intervals"
/// is checked by advancing N intervals, not by sleeping and hoping.
public final class ManualClock: ProcessClock {
    private struct Sleeper {
        var deadline: Duration
        var continuation: CheckedContinuation<Void, any Error>
    }
    private struct State {
        var now: Duration = .zero
        var sleepers: [UInt64: Sleeper] = [:]
        var cancelledBeforeSleeping: Set<UInt64> = []
        var nextID: UInt64 = 0
        /// Sleepers woken by `advance` that have not gone to sleep again yet (see `settle`).
        var wokenAwake = 0
    }
    private let state = Mutex(State())
    /// What `wallNanoseconds` counts from (an arbitrary fixed instant: 2026-01-01).
    private let wallOrigin: UInt64 = 1_767_225_600_000_000_000

    public init() {}

    public func elapsed() -> Duration { state.withLock { $0.now } }

    public func wallNanoseconds() -> UInt64 { wallOrigin + UInt64(elapsed().wholeMilliseconds) * 1_000_000 }

    /// How many tasks are asleep on this clock.
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    public func sleep(for duration: Duration) async throws {
        let id = state.withLock { s -> UInt64 in
            s.nextID += 1
            s.wokenAwake = max(0, s.wokenAwake - 1)
            return s.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome = state.withLock { s -> Result<Void, any Error>? in
                    if s.cancelledBeforeSleeping.remove(id) != nil { return .failure(CancellationError()) }
                    let deadline = s.now + duration
                    if deadline <= s.now { return .success(()) }
                    s.sleepers[id] = Sleeper(deadline: deadline, continuation: continuation)
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let sleeper = state.withLock { s -> Sleeper? in
                guard let sleeper = s.sleepers.removeValue(forKey: id) else {
                    s.cancelledBeforeSleeping.insert(id)
                    return nil
                }
                return sleeper
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward and wakes every sleeper whose deadline has come, earliest first.
    public func advance(by duration: Duration) {
        precondition(duration >= .zero, "a monotonic clock does not go back")
        let due = state.withLock { s -> [Sleeper] in
            s.now += duration
            let due = s.sleepers.filter { $0.value.deadline <= s.now }
            for id in due.keys { s.sleepers[id] = nil }
            s.wokenAwake += due.count
            return due.values.sorted { $0.deadline < $1.deadline }
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// Waits (in real time, up to `timeout`) until every sleeper an `advance` woke has gone to
    /// sleep again or ended: the work that advance set off has run. True when it settled.
    @discardableResult
    public func settle(timeout: Duration = .seconds(180)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if state.withLock({ $0.wokenAwake == 0 }) { return true }
            try? await Task.sleep(for: .milliseconds(1))
        }
        return false
    }

    /// Advances in `step`s until `condition` holds or `limit` of clock time has passed. After
    /// each step it waits (in real time) until the woken work has gone back to sleep or the
    /// condition holds, whichever comes first; before each step, until `ready` holds (e.g. no
    /// request of the process is still on the wire: time must not outrun a loaded machine's
    /// network). True when the condition held.
    public func advance(by step: Duration, until condition: () async -> Bool, limit: Duration,
                        ready: () async -> Bool = { true }) async -> Bool {
        var advanced = Duration.zero
        while true {
            if await condition() { return true }
            guard advanced < limit else { return false }
            // Generous: in a full test run the cooperative pool may be busy with other suites.
            let readyBy = ContinuousClock.now + .seconds(180)
            while !(await ready()) {
                guard ContinuousClock.now < readyBy else { return false }
                try? await Task.sleep(for: .milliseconds(1))
            }
            advance(by: step)
            advanced += step
            let deadline = ContinuousClock.now + .seconds(180)
            while ContinuousClock.now < deadline, state.withLock({ $0.wokenAwake > 0 }) {
                if await condition() { return true }
                try? await Task.sleep(for: .milliseconds(1))
            }
        }
    }
}
