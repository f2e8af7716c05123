import Foundation
import Testing
import WeirCore

@Suite struct LeaseSimulationTests {
    /// `WEIR_SIM_SEED=n` replays one seed; `WEIR_SIM_SEEDS=n` changes how many run.
    static var seeds: [UInt64] {
        let env = ProcessInfo.processInfo.environment
        if let one = env["WEIR_SIM_SEED"].flatMap(UInt64.init) { return [one] }
        let count = env["WEIR_SIM_SEEDS"].flatMap(UInt64.init) ?? 1_000
        return Array(1...count)
    }

    @Test func leases_stayExclusiveFencedAndBalanced_underSeededFaults() {
        var failing: [String] = []
        var totals = (grants: 0, accepted: 0, refused: 0, crashes: 0, pauses: 0, coordinatorCrashes: 0)
        for seed in Self.seeds {
            var sim = LeaseSimulation(seed: seed, partitions: 8, workers: 3)
            sim.run(milliseconds: 4_000, faultsOn: true)
            sim.heal()
            sim.checkSettled()
            totals.grants += sim.stats.grants
            totals.accepted += sim.stats.acceptedFetches
            totals.refused += sim.stats.refusedFetches
            totals.crashes += sim.stats.crashes
            totals.pauses += sim.stats.pauses
            totals.coordinatorCrashes += sim.stats.coordinatorCrashes
            if Self.seeds.count == 1 { print(sim.describe()) }
            if let first = sim.violations.first {
                failing.append("\(first) — replay with WEIR_SIM_SEED=\(seed) swift test --filter LeaseSimulationTests")
            }
        }
        let report = "\(failing.count) failing seeds:\n" + failing.prefix(10).joined(separator: "\n")
        #expect(failing.isEmpty, Comment(rawValue: report))
        // The faults really happened: leases moved, stale requests were refused.
        if Self.seeds.count >= 100 {
            #expect(totals.grants > Self.seeds.count * 8)
            #expect(totals.refused > 0 && totals.crashes > 0 && totals.pauses > 0 && totals.coordinatorCrashes > 0)
        }
        print("lease simulation: \(Self.seeds.count) seeds, \(totals.grants) grants, \(totals.accepted) fenced requests accepted, \(totals.refused) refused, \(totals.crashes) worker crashes, \(totals.pauses) pauses, \(totals.coordinatorCrashes) coordinator crashes")
    }
}

@Suite struct LeaseLivenessTests {
    @Test func aPausedWorkersPartitionsGoToTheOthers_andComeBackAfterItResumes() {
        var sim = LeaseSimulation(seed: 99, partitions: 8, workers: 2)
        sim.faults = LeaseSimulation.Faults(dropRate: 0, duplicateRate: 0, slowRate: 0, crashRate: 0, pauseRate: 0, leaveRate: 0,
                                            coordinatorCrashRate: 0, coordinatorPauseRate: 0)
        sim.run(milliseconds: 2_000, faultsOn: false)
        sim.workers[0].pausedUntil = sim.now + 10 * sim.settings.ttlMilliseconds
        sim.run(milliseconds: 4 * sim.settings.ttlMilliseconds, faultsOn: false)
        let local = sim.workers[1].clock(sim.now)
        #expect(sim.workers[1].holder.validPartitions(now: local).count == 8, "the healthy worker holds everything while the other is paused")
        sim.run(milliseconds: 10 * sim.settings.ttlMilliseconds, faultsOn: false)
        sim.checkSettled()
        #expect(sim.violations.isEmpty, "\(sim.violations)")
    }
}
