import Foundation
import Logging
import WeirCore
import Synchronization

/// What the watchdog concludes from one look at the control loop's heartbeat.
struct StallDetector {
    enum Finding: Equatable {
        /// The control loop has not run for this long while the process did.
        case stalled(milliseconds: Int64)
        /// It ran again after a stall of this long.
        case resumed(milliseconds: Int64)
    }

    let thresholdMilliseconds: Int64
    /// The longest silence of the stall reported last, while it lasts.
    private var stall: Int64?

    init(thresholdMilliseconds: Int64) {
        self.thresholdMilliseconds = thresholdMilliseconds
    }

    /// `silent`: time since the control loop's last beat; `overslept`: how much later than asked
    /// the watchdog's own sleep ended. A long oversleep means the whole process was stopped
    /// (SIGSTOP) or starved of CPU, which says nothing about the loop, so that look reports nothing.
    mutating func look(silent: Int64, overslept: Int64) -> Finding? {
        if let longest = stall {
            guard silent < thresholdMilliseconds else {
                stall = max(longest, silent)
                return nil
            }
            stall = nil
            return .resumed(milliseconds: longest)
        }
        guard silent >= thresholdMilliseconds, overslept < thresholdMilliseconds / 2 else { return nil }
        stall = silent
        return .stalled(milliseconds: silent)
    }
}

/// Watches the worker's control loop (the 50 ms tick that renews leases) from a plain thread,
/// outside Swift's cooperative pool, and logs when it stops running while the process runs: the
/// leases of a worker whose loop stalls lapse although it looks alive. (In one chaos run a worker
/// stopped renewing and logging for ~10 s without being paused; this says so next time, and
/// when.)
final class StallWatchdog: Sendable {
    private let lastBeat: Atomic<Int64>
    private let stopped = Atomic<Bool>(false)
    private let logger: Logger
    private let thresholdMilliseconds: Int64

    /// The worker's clock; the watch thread itself sleeps in real time.
    let clock: any ProcessClock

    init(logger: Logger, clock: any ProcessClock, thresholdMilliseconds: Int64 = 1_000) {
        self.logger = logger
        self.clock = clock
        lastBeat = Atomic<Int64>(clock.milliseconds())
        self.thresholdMilliseconds = thresholdMilliseconds
    }

    /// Called by the control loop on every tick.
    func beat() { lastBeat.store(clock.milliseconds(), ordering: .relaxed) }

    func start() {
        beat()
        Thread.detachNewThread { [self] in watch() }
    }

    func stop() { stopped.store(true, ordering: .relaxed) }

    private func watch() {
        var detector = StallDetector(thresholdMilliseconds: thresholdMilliseconds)
        let period: Int64 = 200
        while !stopped.load(ordering: .relaxed) {
            let before = clock.milliseconds()
            Thread.sleep(forTimeInterval: Double(period) / 1_000)
            let now = clock.milliseconds()
            let silent = now - lastBeat.load(ordering: .relaxed)
            switch detector.look(silent: silent, overslept: now - before - period) {
            case .stalled(let ms)?:
                logger.warning("the control loop (lease renewals) has not run for \(ms) ms while the process runs; leases will lapse")
            case .resumed(let ms)?:
                logger.warning("the control loop runs again; it stood still for at least \(ms) ms")
            case nil:
                break
            }
        }
    }

}
