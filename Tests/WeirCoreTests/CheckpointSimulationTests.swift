import Foundation
import Testing
import WeirCore

/// Reliability matrix R11: the lease simulation with checkpointing on — workers process
/// partition logs, checkpoint every 200 ms, replicate through the coordinator to a standby,
/// restore the committed checkpoint (locally, shipped from a replica, or from older state or none
/// by processing the log from its offset when no replica answers) — under the same faults. Checked at every step: at most one accepted writer per
/// (partition, epoch), committed seqs +1 at a time, every committed state equals the reference
/// at its offset (events applied contiguously, none skipped or doubled), no owner needing a
/// truncated part of the log; after
/// healing every owner has processed its whole log with the reference's result.
@Suite struct CheckpointSimulationTests {
    static var seeds: [UInt64] {
        let env = ProcessInfo.processInfo.environment
        if let one = env["WEIR_CKSIM_SEED"].flatMap(UInt64.init) { return [one] }
        let count = env["WEIR_CKSIM_SEEDS"].flatMap(UInt64.init) ?? 2_000
        return Array(1...count)
    }

    @Test func checkpointsStayExactUnderSeededFaults() {
        var failing: [String] = []
        var totals = (commits: 0, local: 0, shipped: 0, replays: 0, older: 0, stale: 0, crashes: 0, coordinatorCrashes: 0, storeFailures: 0)
        for seed in Self.seeds {
            var sim = LeaseSimulation(seed: seed, partitions: 4, workers: 3)
            sim.enableCheckpointing()
            sim.run(milliseconds: 2_000, faultsOn: true)
            sim.heal()
            sim.checkSettled()
            sim.checkCaughtUp()
            totals.commits += sim.ck.stats.commits
            totals.storeFailures += sim.ck.stats.storeFailures
            totals.local += sim.ck.stats.restoresLocal
            totals.shipped += sim.ck.stats.restoresShipped
            totals.replays += sim.ck.stats.replays
            totals.older += sim.ck.stats.olderRestores
            totals.stale += sim.ck.stats.staleRefused
            totals.crashes += sim.stats.crashes
            totals.coordinatorCrashes += sim.stats.coordinatorCrashes
            if Self.seeds.count == 1 { print(sim.ck.trace.joined(separator: "\n") + "\n" + sim.describe() + "\n" + sim.describeCheckpoints()) }
            if let first = sim.violations.first {
                failing.append("\(first) — replay with WEIR_CKSIM_SEED=\(seed) swift test --filter CheckpointSimulationTests")
            }
        }
        #expect(failing.count == 0, Comment(rawValue: "\(failing.count) failing seeds:\n" + failing.prefix(10).joined(separator: "\n")))
        if Self.seeds.count >= 100 {
            // The interesting paths really ran.
            #expect(totals.commits > Self.seeds.count * 10 && totals.local > 0 && totals.shipped > 0 && totals.stale > 0 && totals.older > 0 && totals.storeFailures > 0)
        }
        print("checkpoint simulation: \(Self.seeds.count) seeds, \(totals.commits) commits, restores \(totals.local) local / \(totals.shipped) shipped / \(totals.replays) by replay from the start / \(totals.older) from older state, \(totals.stale) stale checkpoints refused, \(totals.storeFailures) local store failures, \(totals.crashes) worker crashes, \(totals.coordinatorCrashes) coordinator crashes")
    }
}
