import Foundation
import Synchronization
import WeirCore

/// What `--chaos` asks for: `kill=2s,pause=6s,pause-for=3s,churn=5s,kill-coordinator=10s` (each optional).
package struct ChaosPlan: Sendable, Equatable {
    /// Mean time between kill -9s of a random worker (each restarted after `restartDelay`).
    package var killEvery: Int64?
    /// Mean time between pauses (SIGSTOP … SIGCONT) of a random worker.
    package var pauseEvery: Int64?
    /// How long a pause lasts (longer than the lease TTL makes the worker lose its partitions).
    package var pauseFor: Int64 = 3_000
    package var restartDelay: Int64 = 500
    /// Mean time between membership changes: a new worker joins, then a running one leaves for
    /// good (SIGTERM: it hands its partitions off), alternately.
    package var churnEvery: Int64?
    /// Mean time between kill -9s of the coordinator (restarted at once on its ports and data
    /// directory; the replay rides through as an idempotent producer, workers reconnect).
    package var killCoordinatorEvery: Int64?

    package static let none = ChaosPlan()
    package var isEmpty: Bool { killEvery == nil && pauseEvery == nil && churnEvery == nil && killCoordinatorEvery == nil }

    /// Parses `key=duration,…`; the error names the bad part.
    package static func parse(_ text: String) throws -> ChaosPlan {
        var plan = ChaosPlan()
        for part in text.split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2, let ms = DurationText.milliseconds(kv[1]), ms > 0 else {
                throw fail("--chaos \(text): \"\(part)\" is not key=duration (e.g. kill=2s)")
            }
            switch kv[0] {
            case "kill": plan.killEvery = ms
            case "pause": plan.pauseEvery = ms
            case "pause-for": plan.pauseFor = ms
            case "restart-after": plan.restartDelay = ms
            case "churn": plan.churnEvery = ms
            case "kill-coordinator": plan.killCoordinatorEvery = ms
            default: throw fail("--chaos \(text): unknown key \"\(kv[0])\" (kill, pause, pause-for, restart-after, churn, kill-coordinator)")
            }
        }
        return plan
    }
}

/// Kills, pauses, adds and removes worker processes on a seeded schedule (only processes it was
/// given or started itself). Intervals are uniform in [0.75, 1.25] × the mean; victims are drawn
/// among workers that are neither down nor paused, one worker is always left running and a
/// removal always leaves two (so partitions keep a standby).
package final class ChaosDriver: Sendable {
    package let plan: ChaosPlan
    /// Starts one more worker process (a new name and an empty data directory).
    private let addWorker: @Sendable () throws -> ChildProcess
    /// Kills the coordinator (-9) and starts it again; returns once it answers.
    private let restartCoordinator: (@Sendable () async -> Void)?
    private let state: Mutex<State>

    package struct State {
        package var rng: SeededGenerator
        /// The members: workers that were started and not removed.
        package var workers: [ChildProcess]
        package var busy: Set<String> = []
        package var kills = 0
        package var pauses = 0
        package var joins = 0
        package var leaves = 0
        package var churnSteps = 0
        package var coordinatorKills = 0
        package var log: [String] = []
    }

    /// - Parameter killAndRestartCoordinator: needed for `kill-coordinator`.
    package init(plan: ChaosPlan, workers: [ChildProcess], seed: UInt64, addWorker: @escaping @Sendable () throws -> ChildProcess,
                 killAndRestartCoordinator: (@Sendable () async -> Void)? = nil) {
        self.plan = plan
        self.addWorker = addWorker
        restartCoordinator = killAndRestartCoordinator
        state = Mutex(State(rng: SeededGenerator(seed: seed), workers: workers))
    }

    package var kills: Int { state.withLock { $0.kills } }
    package var pauses: Int { state.withLock { $0.pauses } }
    package var joins: Int { state.withLock { $0.joins } }
    package var leaves: Int { state.withLock { $0.leaves } }
    package var coordinatorKills: Int { state.withLock { $0.coordinatorKills } }
    package var events: [String] { state.withLock { $0.log } }

    /// Runs until cancelled; returns once every worker is running and resumed again.
    package func run(started: ContinuousClock.Instant) async {
        await withTaskGroup(of: Void.self) { group in
            if let every = plan.killEvery { group.addTask { await self.loop(every: every, started: started, action: self.killOne) } }
            if let every = plan.pauseEvery { group.addTask { await self.loop(every: every, started: started, action: self.pauseOne) } }
            if let every = plan.churnEvery { group.addTask { await self.loop(every: every, started: started, action: self.churnOnce) } }
            if let every = plan.killCoordinatorEvery, let restart = restartCoordinator {
                group.addTask {
                    await self.loop(every: every, started: started) { started in
                        self.note(started, "kill -9 coordinator")
                        await restart()
                        self.state.withLock { $0.coordinatorKills += 1 }
                        self.note(started, "coordinator restarted and answering")
                    }
                }
            }
        }
    }

    private func loop(every: Int64, started: ContinuousClock.Instant, action: @escaping @Sendable (ContinuousClock.Instant) async -> Void) async {
        while !Task.isCancelled {
            let wait = state.withLock { s in Int64(Double(every) * (0.75 + 0.5 * Double(s.rng.next() % 10_000) / 10_000)) }
            do { try await Task.sleep(for: .milliseconds(wait)) } catch { return }
            await action(started)
        }
    }

    /// Picks a victim (nil when that would leave fewer than `leaving` workers running) and marks it busy.
    private func pick(leaving: Int = 1) -> ChildProcess? {
        state.withLock { s in
            let free = s.workers.filter { !s.busy.contains($0.name) }
            guard free.count >= leaving + 1 else { return nil }
            let victim = free[Int(s.rng.next() % UInt64(free.count))]
            s.busy.insert(victim.name)
            return victim
        }
    }

    private func note(_ started: ContinuousClock.Instant, _ text: String) {
        let t = Double((ContinuousClock.now - started).components.attoseconds) / 1e18 + Double((ContinuousClock.now - started).components.seconds)
        state.withLock { $0.log.append(String(format: "%7.2fs %@", t, text)) }
    }

    private func killOne(_ started: ContinuousClock.Instant) async {
        guard let victim = pick() else { return }
        if victim.send(SIGKILL) {
            victim.waitForExit()
            state.withLock { $0.kills += 1 }
            note(started, "kill -9 \(victim.name)")
        }
        try? await Task.sleep(for: .milliseconds(plan.restartDelay))
        do {
            try victim.start()
            note(started, "restarted \(victim.name)")
        } catch {
            note(started, "could not restart \(victim.name): \(error)")
        }
        _ = state.withLock { $0.busy.remove(victim.name) }
    }

    private func pauseOne(_ started: ContinuousClock.Instant) async {
        guard let victim = pick() else { return }
        if victim.send(SIGSTOP) {
            state.withLock { $0.pauses += 1 }
            note(started, "SIGSTOP \(victim.name) for \(plan.pauseFor) ms")
            try? await Task.sleep(for: .milliseconds(plan.pauseFor))
            victim.send(SIGCONT)
            note(started, "SIGCONT \(victim.name)")
        }
        _ = state.withLock { $0.busy.remove(victim.name) }
    }

    /// One membership change: a new worker joins, next time a running one leaves, and so on.
    private func churnOnce(_ started: ContinuousClock.Instant) async {
        let join = state.withLock { s in
            s.churnSteps += 1
            return s.churnSteps % 2 == 1
        }
        if join {
            do {
                let worker = try addWorker()
                state.withLock { s in
                    s.workers.append(worker)
                    s.joins += 1
                }
                note(started, "joined \(worker.name)")
            } catch {
                note(started, "could not add a worker: \(error)")
            }
            return
        }
        guard let victim = pick(leaving: 2) else { return }
        // SIGTERM: the worker asks to leave, the coordinator hands its partitions off (each
        // checkpointed first), then it exits. Removed for good: it is not restarted.
        if victim.send(SIGTERM) {
            note(started, "SIGTERM \(victim.name) (leaving)")
            await Task.detached { victim.waitForExit() }.value
            state.withLock { s in
                s.workers.removeAll { $0.name == victim.name }
                s.leaves += 1
            }
            note(started, "\(victim.name) left")
        }
        _ = state.withLock { $0.busy.remove(victim.name) }
    }

    /// Resumes every worker (a cancelled run may leave one stopped).
    package func resumeAll() {
        for w in state.withLock({ $0.workers }) { w.send(SIGCONT) }
    }
}
