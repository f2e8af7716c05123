import Foundation
import Synchronization
import WeirCore

/// Crash-point sweep for `weir verify --failpoints`: arms the named failpoints one after the
/// other on one worker. Each time that worker dies at its armed point (exit status 86), the
/// next point is armed and the worker restarted; the cluster must still produce exact results.
package final class FailpointSweep: Sendable {
    package let worker: ChildProcess
    private let state: Mutex<(pending: [String], reached: [String], armed: String?)>

    package init(worker: ChildProcess, points: [String]) {
        self.worker = worker
        state = Mutex((points, [], nil))
    }

    package static func parse(_ text: String) throws -> [String] {
        let names = text.split(separator: ",").map(String.init)
        for n in names where !Failpoint.names.contains(n) {
            throw fail("--failpoints: unknown failpoint \"\(n)\" (known: \(Failpoint.names.joined(separator: ", ")))")
        }
        return names
    }

    package var reached: [String] { state.withLock { $0.reached } }
    package var notReached: [String] { state.withLock { s in (s.armed.map { [$0] } ?? []) + s.pending } }

    /// Arms the first point before the worker's first start and restarts it after each crash.
    package func install() {
        armNext()
        worker.onExit { [self] status in
            guard status == 86 else { return }  // killed by the chaos driver: it restarts the worker itself
            state.withLock { s in if let a = s.armed { s.reached.append(a) }; s.armed = nil }
            armNext()
            Thread.sleep(forTimeInterval: 0.3)
            try? worker.start()
        }
    }

    private func armNext() {
        let next = state.withLock { s -> String? in
            s.armed = s.pending.isEmpty ? nil : s.pending.removeFirst()
            return s.armed
        }
        worker.setEnvironment("WEIR_FAILPOINT", next)
    }
}
