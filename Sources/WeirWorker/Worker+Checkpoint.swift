import WeirCodec
import WeirCore
import WeirStore
import WeirWire

extension Worker {
    /// The rules of this worker's checkpoints (`CheckpointOwner`).
    var checkpointOwnerSettings: CheckpointOwner.Settings {
        CheckpointOwner.Settings(intervalMilliseconds: settings.checkpointIntervalMilliseconds, deltasPerBase: settings.deltasPerBase)
    }

    /// Every `checkpointIntervalMilliseconds`: capture, commit locally, ship, commit at the coordinator.
    func checkpointLoop(_ lease: LeaseRef, generation: UInt64, _ runner: PartitionRunner) async {
        guard settings.checkpointIntervalMilliseconds > 0 else { return }  // checkpoints off
        while !Task.isCancelled {
            try? await clock.sleep(for: .milliseconds(settings.checkpointIntervalMilliseconds))
            guard !Task.isCancelled, holder.isValid(lease.partition, epoch: lease.epoch, now: now()) else { continue }
            await checkpoint(lease, generation: generation, runner, force: false)
        }
    }

    /// One checkpoint of a partition, as `CheckpointOwner` decides it. The state is captured under
    /// the runner's lock (the only time processing of the partition waits), sealed, stored in
    /// this worker's LMDB in one durable transaction, then sent to the coordinator, which
    /// replicates it to the standbys and commits it. Returns false when the partition must stop.
    @discardableResult
    func checkpoint(_ lease: LeaseRef, generation: UInt64, _ runner: PartitionRunner, force: Bool) async -> Bool {
        guard let current = running[lease.partition], current.lease == lease, current.generation == generation,
              let capture = running[lease.partition]?.owner.begin(now: now(), force: force) else { return true }
        // The outcome belongs to the runner's state, not to this generation of its loops: after
        // a resume (same lease, same runner, new loops) this checkpoint is still the one in
        // flight, and the next one must wait for it and build on what it committed.
        let store = self.store
        let clock = self.clock
        let began = clock.elapsed()
        let made: SealedCheckpoint?
        do {
            made = try await dataPath.run { () throws -> SealedCheckpoint? in
                let progress = runner.progress()
                if let unchanged = capture.skipIfProgressIs, progress == unchanged { return nil }
                let captureStart = clock.elapsed()
                let (jobs, offsets) = runner.capture(base: capture.isBase)
                let stall = clock.elapsed() - captureStart
                let sealed = try CheckpointBlob.seal(kind: capture.isBase ? .base : .delta, partition: lease.partition, epoch: lease.epoch,
                                                     seq: capture.seq, previousDigest: capture.previousDigest, jobs: jobs)
                Failpoint.hit("checkpoint.before_commit")
                if case .needBase(let why) = try store.store(sealed.bytes, partition: lease.partition) {
                    throw CheckpointError("local store refused delta \(capture.seq): \(why)")
                }
                Failpoint.hit("checkpoint.after_commit")
                return SealedCheckpoint(bytes: sealed.bytes, digest: sealed.header.digest, offsets: offsets,
                                        progress: progress, stall: stall, local: clock.elapsed() - captureStart)
            }
        } catch {
            logger.error("partition \(lease.partition): checkpoint \(capture.seq) failed: \(error)")
            if let storeError = error as? LMDBError {
                storeProblem = "checkpoint store \(settings.dataDirectory)/state: \(storeError)\(DiskSpace.note(settings.dataDirectory))"
            }
            checkpointStats.failures += 1
            if holdsState(lease, runner) { running[lease.partition]?.owner.failed(capture) }
            return true
        }
        guard let made else {
            if holdsState(lease, runner) { running[lease.partition]?.owner.skipped(capture) }
            return true
        }
        let reply = await send(lease, seq: capture.seq, made)
        Failpoint.hit("checkpoint.after_ship")
        guard holdsState(lease, runner), var owner = running[lease.partition]?.owner else { return true }
        let directive: CheckpointOwner.Directive
        var message = ""
        if case .checkpointReply(_, _, let status, let text) = reply {
            directive = owner.answered(capture, digest: made.digest, progress: made.progress, status: status, now: now())
            message = text
        } else {
            directive = owner.lost(capture)  // the connection is gone
        }
        running[lease.partition]?.owner = owner
        switch directive {
        case .none:
            return true
        case .committed:
            storeProblem = nil
            checkpointStats.record(stall: made.stall, total: clock.elapsed() - began, bytes: made.bytes.count)
            // Off this actor: the runner's lock is held while a chunk is applied (the owner keeps
            // the next checkpoint from overtaking this one).
            let offsets = made.offsets
            _ = try? await dataPath.runInteractive { runner.committed(offsets) }
            return true
        case .stopPartition(let reason):
            if reply != nil { logger.warning("partition \(lease.partition): \(reason): \(message); stopping the partition") }
            apply(holder.refusedAsStale(partition: lease.partition, epoch: lease.epoch))
            return false
        }
    }

    /// True while `runner` is the state of `lease` here: across a resume, which restarts the
    /// partition's loops but keeps its runner (a job change or a new grant builds another).
    func holdsState(_ lease: LeaseRef, _ runner: PartitionRunner) -> Bool {
        guard let r = running[lease.partition], r.lease == lease, let current = r.runner else { return false }
        return current === runner
    }

    /// Sends a checkpoint and waits for the coordinator's answer; nil when none comes (the
    /// connection closed, or the deadline passed).
    private func send(_ lease: LeaseRef, seq: UInt64, _ made: SealedCheckpoint) async -> WireMessage? {
        guard let outbound else { return nil }
        // Not ended by the partition's cancellation (a revoke, a resume): a checkpoint in flight
        // stays in flight until its answer, its deadline or the connection's end, so the owner
        // knows what its chain ends with (`CheckpointOwner.abandoned`).
        let outcome = await requests.checkpoints.request(lease, initial: nil, timeout: WorkerRequests.checkpointDeadline,
                                                         endsOnCancellation: false) {
            outbound.send(.checkpoint(lease: lease, seq: seq, digest: made.digest, offsets: made.offsets, blob: made.bytes, timing: made.timing))
        }
        if case .timedOut = outcome { logger.warning("partition \(lease.partition): no answer to checkpoint \(seq) within \(WorkerRequests.checkpointDeadline)") }
        return outcome.reply ?? nil
    }

    /// A revoked partition (rebalancing or leaving): stop processing, take a last checkpoint so
    /// the next owner replays nothing, then release it.
    func handOff(_ lease: LeaseRef) {
        guard let r = running[lease.partition], r.lease == lease else {
            holder.handedOff(partition: lease.partition, epoch: lease.epoch)
            outbound?.send(.release(lease))
            return
        }
        r.task.cancel()
        Task {
            await r.task.value
            if let runner = r.runner, self.settings.checkpointIntervalMilliseconds > 0 {
                // Wait for a checkpoint already in flight, then take the last one.
                while self.running[lease.partition]?.owner.inFlight != nil { try? await clock.sleep(for: .milliseconds(5)) }
                await self.checkpoint(lease, generation: r.generation, runner, force: false)
            }
            Failpoint.hit("handoff.before_release")
            let settled = r.runner.flatMap { runner in self.settledCheckpoint(lease, generation: r.generation, runner).map { (runner, $0) } }
            self.finishHandOff(lease, generation: r.generation)
            if let (runner, committed) = settled { await self.keepHandedOffState(lease, runner, committed: committed) }
        }
    }

    /// The checkpoint the state of a partition being handed off is exactly at: processing has
    /// stopped and the last checkpoint committed what it had processed (or nothing moved since
    /// the one before). nil when that is not certain.
    private func settledCheckpoint(_ lease: LeaseRef, generation: UInt64, _ runner: PartitionRunner) -> CommittedCheckpoint? {
        guard let current = running[lease.partition], current.lease == lease, current.generation == generation else { return nil }
        return current.owner.settled(progress: runner.progress())
    }

    /// Keeps the state of a partition just handed off as a standby fold at its committed
    /// checkpoint, taken from memory (no decoding): this worker usually becomes the new owner's
    /// standby, and if the partition comes back here the restore starts from it. The fold is
    /// matched by exact (seq, digest) like any other, so it is used only at that checkpoint.
    private func keepHandedOffState(_ lease: LeaseRef, _ runner: PartitionRunner, committed: CommittedCheckpoint) async {
        let folds = standbyFolds
        // The committed checkpoint was this epoch's (`settled` holds only after a commit here).
        let header = CheckpointBlob.Header(kind: .base, partition: lease.partition, epoch: lease.epoch, seq: committed.seq,
                                           previousDigest: 0, digest: committed.digest)
        do {
            try await dataPath.run {
                folds.keep(try CheckpointFold(whole: runner.capture(base: true).jobs, header: header, partition: lease.partition))
            }
        } catch {
            logger.warning("partition \(lease.partition): the handed-off state is not kept as a standby copy: \(error)")
        }
    }

    private func finishHandOff(_ lease: LeaseRef, generation: UInt64) {
        if isCurrent(lease, generation: generation) { running[lease.partition] = nil }
        holder.handedOff(partition: lease.partition, epoch: lease.epoch)
        outbound?.send(.release(lease))
    }
}

struct SealedCheckpoint: Sendable {
    var bytes: [UInt8]
    var digest: UInt64
    var offsets: [StreamOffset]
    var progress: UInt64
    /// How long the capture held the partition's lock (processing waited that long).
    var stall: Duration
    /// Capture, sealing and the local store.
    var local: Duration

    var timing: CheckpointTiming {
        CheckpointTiming(stallMicroseconds: Self.microseconds(stall), localMicroseconds: Self.microseconds(local))
    }

    static func microseconds(_ d: Duration) -> UInt64 {
        UInt64(max(0, d.components.seconds * 1_000_000 + d.components.attoseconds / 1_000_000_000_000))
    }
}

/// Checkpoint timings since the last summary line.
struct CheckpointStats {
    var stalls: [Duration] = []
    var totals: [Duration] = []
    var bytes = 0
    var failures = 0

    mutating func record(stall: Duration, total: Duration, bytes: Int) {
        stalls.append(stall)
        totals.append(total)
        self.bytes += bytes
    }

    /// One log line (count, stall and duration percentiles, bytes), or nil when idle; resets.
    mutating func summaryAndReset() -> String? {
        defer { self = CheckpointStats() }
        guard !totals.isEmpty || failures > 0 else { return nil }
        func pct(_ values: [Duration], _ q: Double) -> String {
            let sorted = values.sorted()
            guard !sorted.isEmpty else { return "-" }
            let v = sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))]
            return String(format: "%.2f", Double(v.components.attoseconds) / 1e15 + Double(v.components.seconds) * 1e3)
        }
        return "\(totals.count) committed, \(failures) failed, stall_ms p50=\(pct(stalls, 0.5)) p99=\(pct(stalls, 0.99)), "
            + "duration_ms p50=\(pct(totals, 0.5)) p99=\(pct(totals, 0.99)), \(bytes) bytes"
    }
}
