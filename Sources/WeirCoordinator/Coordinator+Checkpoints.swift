import Foundation
import WeirCodec
import WeirCore
import WeirStore
import WeirWire

/// Checkpoint commits, replication to standbys and state transfer to new owners.
///
/// A checkpoint arrives from a partition's owner after its local LMDB commit. The coordinator
/// fences it (current holder, current epoch, seq = committed + 1), forwards it to the
/// partition's standby and waits for the standby's durable store, then persists the commit
/// (epoch, seq, digest, offsets, replicas) in its own LMDB and answers. Only then is the
/// checkpoint what a new owner restores.
extension Coordinator {
    /// Fencing and sequencing of an arriving checkpoint (`CheckpointAuthority.admit`); nil when it may proceed.
    func admitCheckpoint(_ identity: WorkerIdentity, _ lease: LeaseRef, seq: UInt64, digest: UInt64) -> CheckpointAuthority.Refusal? {
        let current = authority.isCurrent(identity, lease.partition, lease.epoch, now: now())
        let refusal = checkpoints.admit(lease, seq: seq, digest: digest, holder: identity.description, holderIsCurrent: current)
        if refusal?.status == .stale { metrics.staleRefused("checkpoint") }
        return refusal
    }

    /// The connected workers to store copies of a checkpoint of `partition` (`CheckpointAuthority.standbys`).
    func standbys(for partition: Int, owner: WorkerIdentity) -> [WorkerSession] {
        let chosen = checkpoints.standbys(for: partition, owner: owner, preferred: authority.standby(for: partition, owner: owner),
                                          connected: sessions.values.map(\.identity), live: Set(authority.liveWorkers))
        return chosen.compactMap { session(of: $0) }
    }

    /// Handles one checkpoint end to end and returns the reply for its owner.
    nonisolated func checkpointArrived(_ identity: WorkerIdentity, lease: LeaseRef, seq: UInt64, digest: UInt64,
                                       offsets: [StreamOffset], blob: [UInt8], timing: CheckpointTiming) async -> WireMessage {
        let arrived = clock.elapsed()
        func reply(_ status: CheckpointStatus, _ message: String = "") -> WireMessage {
            .checkpointReply(lease: lease, seq: seq, status: status, message: message)
        }
        if let refused = await admitCheckpoint(identity, lease, seq: seq, digest: digest) { return reply(refused.status, refused.message) }
        do {
            let header = try CheckpointBlob.verify(blob, partition: lease.partition)
            guard header.seq == seq, header.epoch == lease.epoch, header.digest == digest else {
                return reply(.refused, "checkpoint header (seq \(header.seq), epoch \(header.epoch)) does not match the message")
            }
        } catch {
            return reply(.refused, "\(error)")
        }
        // Every standby stores the copy side by side; the commit waits for all of them.
        let standbys = await standbys(for: lease.partition, owner: identity)
        let answers = await withTaskGroup(of: (standby: String, status: ReplicaStatus?).self) { group in
            for standby in standbys {
                group.addTask { (standby.identity.name, await self.replicate(to: standby, lease: lease, seq: seq, blob: blob)) }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let replicas: [String]
        switch await checkpoints.outcome(owner: identity.name, answers: answers) {
        case .needBase(let name):
            await askedForBase(lease, seq: seq, digest: digest)
            return reply(.needBase, "standby \(name) needs a base checkpoint")
        case .commit(let stored, let missing):
            for name in missing {
                logger.warning("partition \(lease.partition): standby \(name) did not store checkpoint \(seq); committing without it")
            }
            replicas = stored
        }
        let answer = await commit(identity, lease: lease, seq: seq, digest: digest, offsets: offsets, replicas: replicas)
        if case .checkpointReply(_, _, .committed, _) = answer {
            metrics.checkpointCommitted(bytes: blob.count, stall: .microseconds(timing.stallMicroseconds),
                                        total: .microseconds(timing.localMicroseconds) + (clock.elapsed() - arrived))
        }
        return answer
    }

    /// Records that the owner was told to send a base instead (`CheckpointAuthority.askedForBase`).
    func askedForBase(_ lease: LeaseRef, seq: UInt64, digest: UInt64) {
        checkpoints.askedForBase(lease, seq: seq, digest: digest)
    }

    /// Persists the commit if the lease and sequence still hold after the replication wait.
    func commit(_ identity: WorkerIdentity, lease: LeaseRef, seq: UInt64, digest: UInt64,
                offsets: [StreamOffset], replicas: [String]) -> WireMessage {
        if let refused = admitCheckpoint(identity, lease, seq: seq, digest: digest) {
            return .checkpointReply(lease: lease, seq: seq, status: refused.status, message: refused.message)
        }
        let record = CheckpointCommit(epoch: lease.epoch, seq: seq, digest: digest, offsets: offsets, replicas: replicas)
        Failpoint.hit("coordinator.before_commit")
        do {
            try store.persistCommit(partition: lease.partition, record)
        } catch {
            logger.error("cannot persist checkpoint \(seq) of partition \(lease.partition): \(error)")
            return .checkpointReply(lease: lease, seq: seq, status: .refused, message: "the coordinator could not store the commit: \(error)")
        }
        Failpoint.hit("coordinator.after_commit")
        authority.preferredHolders[lease.partition] = replicas
        for directive in checkpoints.committed(record, partition: lease.partition, workers: sessions.count, now: now()) {
            switch directive {
            case .truncateLog(let p, let offsets): truncateLogs(partition: p, before: offsets)
            }
        }
        return .checkpointReply(lease: lease, seq: seq, status: .committed, message: "")
    }

    /// Deletes log segments before `offsets` (off this actor).
    func truncateLogs(partition p: Int, before offsets: [StreamOffset]) {
        for o in offsets {
            guard let log = logs[o.stream]?.logs[p] else { continue }
            let offset = o.offset
            Task.detached { _ = try? await self.dataPath.run { log.truncate(before: offset) } }
        }
    }

    /// How long a standby may take to store a copy: past it the checkpoint is committed without
    /// that copy (a standby that stopped answering must not hold the owner's chain up).
    var replicationDeadline: Duration { .milliseconds(2 * settings.lease.ttlMilliseconds) }

    /// Sends a checkpoint to a standby and waits for its answer; nil when it disconnected or did
    /// not answer in time.
    func replicate(to standby: WorkerSession, lease: LeaseRef, seq: UInt64, blob: [UInt8]) async -> ReplicaStatus? {
        let id = requests.numbers.make()
        let frame = WireMessage.replicate(request: id.value, partition: lease.partition, epoch: lease.epoch, seq: seq, blob: blob)
        // Not ended by the cancellation of the task that handles the owner's frame (its
        // connection closing): the copy's answer still decides the commit's replicas, which a
        // new owner's restore and the log's truncation rely on.
        let outcome = await requests.replications.request(id, initial: Replication(standby: standby.identity), timeout: replicationDeadline,
                                                          endsOnCancellation: false) {
            standby.outbound.send(frame)
        }
        if case .timedOut = outcome {
            logger.warning("partition \(lease.partition): standby \(standby.identity.name) did not store checkpoint \(seq) within \(replicationDeadline)")
        }
        return outcome.reply?.status
    }

    func replicated(request: UInt64, status: ReplicaStatus, message: String) {
        if status != .stored, !message.isEmpty { logger.info("replica answer: \(status) \(message)") }
        requests.replications.update(RequestID(request)) { replication in
            replication.status = status
            return true
        }
    }

    /// A new owner asks for a committed checkpoint it does not have: forward to a replica heard
    /// from lately. When there is none, answer at once with the log's bounds, so the new owner can
    /// rebuild from older state instead of waiting for a worker that is paused or gone.
    func stateRequested(_ identity: WorkerIdentity, request: UInt64, lease: LeaseRef, seq: UInt64, digest: UInt64) {
        guard let requester = session(of: identity) else { return }
        let connected = sessions.values.map(\.identity)
        let lastHeard = Dictionary(uniqueKeysWithValues: sessions.values.map { ($0.identity, $0.lastHeard) })
        let decision = checkpoints.stateSource(
            for: lease, seq: seq, digest: digest, requester: identity,
            requesterIsCurrent: authority.isCurrent(identity, lease.partition, lease.epoch, now: now()),
            connected: connected, live: Set(authority.liveWorkers), lastHeard: lastHeard, now: now(),
            promptWithin: stateRelayTimeoutMilliseconds)
        switch decision {
        case .none(let why):
            return answerWithoutState(requester, request: request, partition: lease.partition, why)
        case .replica(let source, let others):
            Task { await self.relayState(to: identity, request: request, lease: lease, seq: seq, digest: digest, from: [source] + others) }
        }
    }

    /// Asks the replicas in turn to ship the committed chain, and passes the first one shipped
    /// on to the new owner. A replica that no longer has it passes the ask to the next; one
    /// that is silent past the deadline or goes away ends it (the new owner hears why).
    func relayState(to requester: WorkerIdentity, request: UInt64, lease: LeaseRef, seq: UInt64, digest: UInt64, from replicas: [WorkerIdentity]) async {
        var why = StateTransfer.noReplicaConnected
        for source in replicas {
            guard let session = session(of: source) else { continue }
            let id = requests.numbers.make()
            let outcome = await requests.stateRelays.request(id, initial: StateRelayWait(source: source),
                                                             timeout: .milliseconds(stateRelayTimeoutMilliseconds)) {
                session.outbound.send(.stateRequest(request: id.value, lease: lease, seq: seq, digest: digest))
            }
            switch outcome {
            case .answered(let wait):
                guard let shipment = wait.shipment else {  // answered without a shipment: it went away
                    why = "replica \(source.name) disconnected"
                    break
                }
                guard shipment.blobs.isEmpty else {
                    self.session(of: requester)?.outbound.send(.stateReply(request: request, partition: lease.partition, blobs: shipment.blobs, error: shipment.error))
                    return
                }
                why = shipment.error
                logger.info("partition \(lease.partition): replica \(source.name) cannot ship checkpoint \(seq) (\(why)); asking the next")
                continue
            case .timedOut:
                logger.info("partition \(lease.partition): replica \(source.name) did not ship checkpoint \(seq) within \(stateRelayTimeoutMilliseconds) ms")
                why = StateTransfer.replicasSilent
            case .cancelled, .failed:
                why = "replica \(source.name) disconnected"
            }
            break  // silent or gone: the new owner hears why at once
        }
        answerWithoutState(session(of: requester), request: request, partition: lease.partition, why)
    }

    /// How long a replica may take to answer a state request, and how lately it must have been
    /// heard from to be asked: half a lease TTL (renewals come every third of one).
    var stateRelayTimeoutMilliseconds: Int64 { max(settings.lease.ttlMilliseconds / 2, 100) }

    /// Tells a new owner no chain comes, and why, with the bounds it may rebuild older state within.
    func answerWithoutState(_ requester: WorkerSession?, request: UInt64, partition p: Int, _ why: String) {
        requester?.outbound.send(.stateReply(request: request, partition: p, blobs: [], error: why, bounds: replayBounds(of: p)))
    }

    /// Where the partition's logs start and how far its committed checkpoint got, per stream of
    /// the registered jobs.
    func replayBounds(of p: Int) -> ReplayBounds {
        let streams = Set(jobs.values.map(\.spec.stream)).sorted()
        let starts = streams.compactMap { stream in logs[stream].map { StreamOffset(stream: stream, offset: $0.logs[p].startOffset) } }
        return ReplayBounds(logStarts: starts, committed: commits[p]?.offsets ?? [])
    }

    /// A replica answered a state request.
    func stateReplied(request: UInt64, blobs: [[UInt8]], error: String) {
        requests.stateRelays.update(RequestID(request)) { wait in
            wait.shipment = StateShipment(blobs: blobs, error: error)
            return true
        }
    }

    /// What a grant tells the new owner to restore.
    func committedCheckpoint(of partition: Int) -> CommittedCheckpoint {
        checkpoints.committedCheckpoint(of: partition)
    }
}
