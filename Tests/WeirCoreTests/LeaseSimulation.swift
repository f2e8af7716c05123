import WeirCodec
import WeirCore

/// A seeded simulation of one coordinator (`LeaseAuthority`) and several workers (`LeaseHolder`)
/// over a faulty network: delays, drops, duplicates and reordering of messages, worker crashes
/// and restarts, worker and coordinator pauses, coordinator crashes, clean leaves and rejoins,
/// and per-worker clock drift. Invariants are checked after every step; `violations` collects
/// them with the simulated time.
struct LeaseSimulation {
    struct Faults {
        var dropRate = 0.03
        var duplicateRate = 0.03
        var slowRate = 0.05
        var crashRate = 0.0015
        var pauseRate = 0.002
        var leaveRate = 0.0005
        var coordinatorCrashRate = 0.0003
        var coordinatorPauseRate = 0.0005
    }

    enum Message {
        case register(WorkerIdentity)
        case renew(WorkerIdentity, seq: UInt64, leases: [(PartitionID, Epoch)])
        case release(WorkerIdentity, PartitionID, Epoch)
        case fetch(WorkerIdentity, PartitionID, Epoch)
        case leave(WorkerIdentity)
        case registered
        case grant(PartitionID, Epoch, CommittedCheckpoint)
        case revoke(PartitionID, Epoch)
        case renewReply(seq: UInt64, [(PartitionID, Epoch, LeaseAuthority.RenewVerdict)])
        case fetchReply(PartitionID, Epoch, accepted: Bool)
        case disconnected(WorkerIdentity)
        // Checkpointing (see LeaseSimulation+Checkpoints.swift)
        case read(WorkerIdentity, PartitionID, Epoch, offset: Int)
        case readReply(PartitionID, Epoch, offset: Int, values: [Int64]?)
        case checkpoint(WorkerIdentity, PartitionID, Epoch, SimCheckpoint)
        case checkpointReply(PartitionID, Epoch, seq: UInt64, CheckpointStatus)
        case replicate(request: UInt64, PartitionID, SimCheckpoint)
        case replicated(WorkerIdentity, request: UInt64, ReplicaStatus)
        case stateRequest(WorkerIdentity, PartitionID, Epoch, CommittedCheckpoint)
        case stateFetch(request: UInt64, PartitionID, CommittedCheckpoint)
        case stateChain(WorkerIdentity, request: UInt64, [SimCheckpoint]?)
        /// No chain: the log's bounds, for a rebuild from older state (`ReplayBounds`).
        case stateReply(PartitionID, Epoch, [SimCheckpoint]?, SimReplayBounds?)
    }

    struct InFlight {
        var deliverAt: Int64
        var order: UInt64
        /// nil = to the coordinator, else the worker index.
        var to: Int?
        /// The connection generation the message belongs to; dropped if it changed.
        var connection: UInt64
        var message: Message
    }

    struct SimWorker {
        var name: String
        var incarnation: UInt64 = 1
        var holder: LeaseHolder
        var alive = true
        var pausedUntil: Int64 = .min
        var connection: UInt64 = 0
        var connected = false
        /// The coordinator confirmed the registration on this connection (resent each tick until then).
        var registered = false
        var leaving = false
        var drift: Double
        var offset: Int64
        var identity: WorkerIdentity { WorkerIdentity(name: name, incarnation: incarnation) }
        func clock(_ now: Int64) -> Int64 { offset + Int64(Double(now) * (1 + drift)) }
    }

    let seed: UInt64
    let partitions: Int
    let settings: LeaseSettings
    var faults: Faults
    var rng: SeededGenerator
    var now: Int64 = 0
    var authority: LeaseAuthority
    var durableEpochs: [Epoch]
    var coordinatorUp = true
    var coordinatorPausedUntil: Int64 = .min
    var coordinatorRestartAt: Int64 = .max
    var workers: [SimWorker] = []
    var network: [InFlight] = []
    var order: UInt64 = 0
    var maxGranted: [Epoch]
    var violations: [String] = []
    var stats = (grants: 0, acceptedFetches: 0, refusedFetches: 0, crashes: 0, pauses: 0, coordinatorCrashes: 0)
    /// With checkpointing on, workers process partition logs, checkpoint, replicate and restore.
    var checkpointing = false
    var ck = CheckpointState()

    init(seed: UInt64, partitions: Int = 8, workers count: Int = 3) {
        self.seed = seed
        self.partitions = partitions
        settings = LeaseSettings(ttlMilliseconds: 300)
        faults = Faults()
        rng = SeededGenerator(seed: seed)
        durableEpochs = Array(repeating: 0, count: partitions)
        maxGranted = durableEpochs
        authority = LeaseAuthority(partitionCount: partitions, persistedEpochs: durableEpochs, settings: settings, startedAt: 0, restarted: false)
        for i in 0..<count {
            let drift = (rng.unit() - 0.5) * 0.02
            workers.append(SimWorker(name: "w\(i)", holder: LeaseHolder(settings: settings), drift: drift, offset: Int64(rng.below(100_000))))
        }
    }

    /// Runs `milliseconds` of simulated time in 5 ms steps.
    mutating func run(milliseconds: Int64, faultsOn: Bool) {
        let end = now + milliseconds
        while now < end {
            now += 5
            if faultsOn { injectFaults() }
            if faultsOn && checkpointing && now % 50 == 0 { appendEvents() }
            if coordinatorRestartAt <= now { restartCoordinator() }
            for w in workers.indices where workers[w].alive && !workers[w].connected && !isPaused(w) { connect(w) }
            deliverDue()
            if now % 50 == 0 { tickAll() }
            checkInvariants()
        }
    }

    /// Stops faults, resumes and restarts everything, and lets the cluster settle.
    mutating func heal() {
        for w in workers.indices {
            workers[w].pausedUntil = .min
            if !workers[w].alive { restartWorker(w) }
        }
        coordinatorPausedUntil = .min
        if !coordinatorUp { coordinatorRestartAt = now }
        faults.dropRate = 0
        faults.duplicateRate = 0
        faults.slowRate = 0
        run(milliseconds: 12 * settings.ttlMilliseconds, faultsOn: false)
    }

    func isPaused(_ w: Int) -> Bool { now < workers[w].pausedUntil }
    var coordinatorAvailable: Bool { coordinatorUp && now >= coordinatorPausedUntil }
}
