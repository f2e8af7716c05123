import Foundation
import Synchronization
import WeirCore

/// Coordinator crash sweep for `weir verify --crash-coordinator`: arms the coordinator with
/// one failpoint after the other (`name@N`: on its N-th hit); each time it dies there (kill -9
/// equivalent, exit 86) it is restarted on the same ports with the next one armed. Meanwhile
/// the partition epochs shown by `/v1/cluster` are watched: they must never go backwards.
package final class CoordinatorCrashes: Sendable {
    private let state: Mutex<(pending: [String], reached: [String], armed: String?, maxEpoch: [Int: Int], regressions: [String])>

    package init(points: [String]) {
        state = Mutex((points, [], nil, [:], []))
    }

    package static func parse(_ text: String) throws -> [String] {
        let points = text.split(separator: ",").map(String.init)
        for p in points {
            let name = String(p.split(separator: "@").first ?? "")
            guard name.hasPrefix("coordinator."), Failpoint.names.contains(name) else {
                throw fail("--crash-coordinator: \"\(p)\" is not a coordinator failpoint (\(Failpoint.names.filter { $0.hasPrefix("coordinator.") }.joined(separator: ", ")), optionally @N)")
            }
        }
        return points
    }

    package var reached: [String] { state.withLock { $0.reached } }
    package var notReached: [String] { state.withLock { s in (s.armed.map { [$0] } ?? []) + s.pending } }
    package var epochRegressions: [String] { state.withLock { $0.regressions } }

    /// Kills the coordinator (-9) once, restarts it with the first point armed, and from then on
    /// restarts it (same ports) with the next point armed each time it dies at one.
    package func start(on cluster: LocalCluster) {
        cluster.coordinator.onExit { [self] status in
            guard status == 86 else { return }  // our own kill -9 below is restarted by `start`
            state.withLock { s in if let a = s.armed { s.reached.append(a) }; s.armed = nil }
            armNext(cluster.coordinator)
            Thread.sleep(forTimeInterval: 0.3)
            cluster.restartCoordinator()
        }
        cluster.coordinator.send(SIGKILL)
        cluster.coordinator.waitForExit()
        state.withLock { $0.reached.append("kill -9") }
        armNext(cluster.coordinator)
        cluster.restartCoordinator()
    }

    private func armNext(_ coordinator: ChildProcess) {
        let next = state.withLock { s -> String? in
            s.armed = s.pending.isEmpty ? nil : s.pending.removeFirst()
            return s.armed
        }
        coordinator.setEnvironment("WEIR_FAILPOINT", next)
    }

    /// Polls the partition epochs until cancelled, recording any that went backwards.
    package func watchEpochs(_ client: ClusterClient) async {
        while !Task.isCancelled {
            if let status = try? await client.get("/v1/cluster"), let parts = status["partitions"] as? [[String: Any]] {
                state.withLock { s in
                    for p in parts {
                        guard let id = p["partition"] as? Int, let epoch = p["epoch"] as? Int else { continue }
                        if let seen = s.maxEpoch[id], epoch < seen { s.regressions.append("partition \(id): epoch \(epoch) after \(seen)") }
                        s.maxEpoch[id] = max(s.maxEpoch[id] ?? 0, epoch)
                    }
                }
            }
            try? await Task.sleep(for: .milliseconds(250))
        }
    }
}
