import WeirWire
import Testing
@testable import WeirWorker

/// The watchdog reports a control loop that stops while the process runs, once per stall, and
/// its end with the longest silence seen; a stopped or starved process is no stall of the loop.
@Suite struct StallDetectorTests {
    @Test func aStallIsReportedOnceThenItsEndWithTheLongestSilence() {
        var d = StallDetector(thresholdMilliseconds: 1_000)
        #expect(d.look(silent: 50, overslept: 1) == nil)
        #expect(d.look(silent: 999, overslept: 3) == nil)
        #expect(d.look(silent: 1_000, overslept: 2) == .stalled(milliseconds: 1_000))
        #expect(d.look(silent: 1_200, overslept: 0) == nil)
        #expect(d.look(silent: 9_700, overslept: 5) == nil)
        #expect(d.look(silent: 40, overslept: 1) == .resumed(milliseconds: 9_700))
        #expect(d.look(silent: 60, overslept: 1) == nil)
        #expect(d.look(silent: 1_500, overslept: 1) == .stalled(milliseconds: 1_500))
    }

    @Test func aProcessThatWasStoppedOrStarvedIsNoStallOfTheLoop() {
        var d = StallDetector(thresholdMilliseconds: 1_000)
        // SIGSTOP for 3 s: the watchdog's own sleep ends 3 s late, the loop's beat is as old.
        #expect(d.look(silent: 3_050, overslept: 3_000) == nil)
        #expect(d.look(silent: 50, overslept: 1) == nil)
    }
}

import Foundation
import Logging
import Synchronization

extension StallDetectorTests {
    /// Keeps every message logged through it.
    struct RecordingLogHandler: LogHandler {
        let recorded: Recorded
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
            recorded.messages.withLock { $0.append("\(message)") }
        }
    }

    final class Recorded: Sendable {
        let messages = Mutex<[String]>([])
        var all: [String] { messages.withLock { $0 } }
    }

    @Test func theWatchdogThreadLogsALoopThatStopsBeatingAndItsReturn() async throws {
        let recorded = Recorded()
        let logger = Logger(label: "test") { _ in RecordingLogHandler(recorded: recorded) }
        let watchdog = StallWatchdog(logger: logger, clock: SystemClock(), thresholdMilliseconds: 300)
        watchdog.start()
        defer { watchdog.stop() }
        func waitFor(_ text: String) async throws {
            let deadline = ContinuousClock.now + .seconds(120)
            while !recorded.all.contains(where: { $0.contains(text) }), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        // Nothing beats: the stall is logged.
        try await waitFor("has not run for")
        // Beating again, from a plain thread: this process's cooperative threads may be busy with
        // other suites for seconds (which the watchdog would rightly report as a stall).
        let beating = Atomic<Bool>(true)
        Thread.detachNewThread {
            while beating.load(ordering: .relaxed) {
                watchdog.beat()
                Thread.sleep(forTimeInterval: 0.02)
            }
        }
        defer { beating.store(false, ordering: .relaxed) }
        try await waitFor("runs again")
        let all = recorded.all
        #expect(all.first?.contains("the control loop (lease renewals) has not run for") == true, "\(all)")
        #expect(all.contains { $0.contains("the control loop runs again; it stood still for at least") }, "\(all)")
    }
}
