import WeirCodec
import WeirCore

extension LeaseSimulation {
    mutating func coordinatorReceives(_ message: Message) {
        switch message {
        case .register(let id):
            reply(.registered, to: id)
            execute(authority.workerJoined(id, now: now))
        case .disconnected(let id):
            execute(authority.workerDisconnected(id, now: now))
            if checkpointing {
                // Nothing a gone standby was asked for will come (the coordinator's `failPending`).
                for (request, pending) in ck.pendingReplications where pending.standby == id { replicationAnswered(request, nil) }
            }
        case .leave(let id): execute(authority.workerLeaving(id, now: now))
        case .release(let id, let p, let e): execute(authority.released(id, partition: p, epoch: e, now: now))
        case .renew(let id, let seq, let leases):
            ck.lastHeard[id] = now
            let verdicts = authority.renew(id, leases: leases.map { ($0.0, $0.1) }, now: now)
            reply(.renewReply(seq: seq, zip(leases, verdicts).map { ($0.0.0, $0.0.1, $0.1) }), to: id)
        case .fetch(let id, let p, let e):
            let accepted = authority.isCurrent(id, p, e, now: now)
            if accepted {
                stats.acceptedFetches += 1
                if e != maxGranted[p] { violate("accepted a fetch for partition \(p) with stale epoch \(e) (newest \(maxGranted[p])) from \(id)") }
            } else {
                stats.refusedFetches += 1
            }
            reply(.fetchReply(p, e, accepted: accepted), to: id)
        case .read, .checkpoint, .replicated, .stateRequest, .stateChain:
            coordinatorReceivesCheckpointing(message)
        default: violate("coordinator received a worker-bound message \(message)")
        }
    }

    mutating func workerReceives(_ w: Int, _ message: Message) {
        let local = workers[w].clock(now)
        switch message {
        case .registered: workers[w].registered = true
        case .grant(let p, let e, let committed):
            if checkpointing, (ck.workers[w].granted[p]?.0 ?? 0) < e { ck.workers[w].granted[p] = (e, committed) }
            apply(w, workers[w].holder.granted(partition: p, epoch: e, now: local))
        case .revoke(let p, let e): apply(w, workers[w].holder.revoked(partition: p, epoch: e))
        case .renewReply(let seq, let verdicts):
            apply(w, workers[w].holder.renewalAnswered(seq: seq, verdicts: verdicts.map { ($0.0, $0.1, $0.2) }, now: local))
        case .fetchReply(let p, let e, let accepted):
            if !accepted { apply(w, workers[w].holder.refusedAsStale(partition: p, epoch: e)) }
        case .readReply, .checkpointReply, .replicate, .stateFetch, .stateReply:
            workerReceivesCheckpointing(w, message)
        default: violate("worker received a coordinator-bound message \(message)")
        }
        finishLeaveIfDone(w)
    }

    /// A leaving worker that holds nothing closes its connection and rejoins later as a new incarnation.
    mutating func finishLeaveIfDone(_ w: Int) {
        guard workers[w].leaving && workers[w].holder.leases.isEmpty && workers[w].connected else { return }
        dropConnection(w)
        restartWorker(w)
    }

    mutating func apply(_ w: Int, _ directives: [LeaseHolder.Directive]) {
        for d in directives {
            switch d {
            case .sendRenewal(let seq, let leases): send(.renew(workers[w].identity, seq: seq, leases: leases.map { ($0.partition, $0.epoch) }), from: w)
            case .release(let p, let e): send(.release(workers[w].identity, p, e), from: w)
            case .start(let p, let e): if checkpointing { startPartition(w, p, e) }
            case .stop(let p, let e, _): if checkpointing, ck.workers[w].running[p]?.epoch == e { ck.workers[w].running[p] = nil }
            }
        }
    }

    mutating func execute(_ directives: [LeaseAuthority.Directive]) {
        for d in directives {
            switch d {
            case .persistEpoch(let p, let e, _):
                if e <= durableEpochs[p] { violate("epoch \(e) for partition \(p) is not above the persisted \(durableEpochs[p])") }
                durableEpochs[p] = e
            case .grant(let id, let p, let e):
                if e != durableEpochs[p] { violate("grant of epoch \(e) for partition \(p) before it was persisted") }
                if e <= maxGranted[p] { violate("epoch \(e) for partition \(p) does not increase (was \(maxGranted[p]))") }
                maxGranted[p] = max(maxGranted[p], e)
                stats.grants += 1
                if checkpointing { ck.trace.append("t=\(now) grant p\(p) e\(e) to \(id) committed \(committedCheckpoint(p).seq)") }
                reply(.grant(p, e, committedCheckpoint(p)), to: id)
            case .revoke(let id, let p, let e): reply(.revoke(p, e), to: id)
            case .expired, .notTakenUp: break
            }
        }
    }

    mutating func checkInvariants() {
        var holder = Array(repeating: -1, count: partitions)
        for w in workers.indices where workers[w].alive {
            let local = workers[w].clock(now)
            for lease in workers[w].holder.leases.values where (lease.validUntil ?? .min) > local {
                if holder[lease.partition] >= 0 {
                    violate("partition \(lease.partition) has two valid holders: \(workers[holder[lease.partition]].identity) and \(workers[w].identity) (epoch \(lease.epoch))")
                }
                holder[lease.partition] = w
            }
        }
    }

    /// After `heal()`: every partition has exactly one valid holder and the spread is even.
    mutating func checkSettled() {
        var counts = Array(repeating: 0, count: workers.count)
        for p in 0..<partitions {
            let holders = workers.indices.filter { workers[$0].holder.validPartitions(now: workers[$0].clock(now)).contains { $0.partition == p } }
            if holders.count != 1 { violate("after healing, partition \(p) has \(holders.count) valid holders") }
            for h in holders { counts[h] += 1 }
        }
        if let lo = counts.min(), let hi = counts.max(), hi - lo > 1 { violate("after healing, partitions are spread unevenly: \(counts)") }
    }

    mutating func violate(_ message: String) {
        violations.append("seed \(seed) at t=\(now) ms: \(message)")
    }
}

extension LeaseSimulation {
    /// The state of every process, for replaying a failing seed.
    func describe() -> String {
        var lines = ["t=\(now) coordinator up=\(coordinatorUp) workers=\(authority.allWorkers) live=\(authority.liveWorkers)"]
        for p in 0..<partitions {
            lines.append("  p\(p): \(authority.leases[p].map { "\($0.holder) e\($0.epoch) renewed \($0.lastRenewalReceived) revoking \($0.revoking)" } ?? "free")")
        }
        for w in workers {
            lines.append("  \(w.identity) alive=\(w.alive) connected=\(w.connected) leaving=\(w.leaving) paused=\(now < w.pausedUntil) leases=\(w.holder.leases.values.map { "p\($0.partition)e\($0.epoch)" }.sorted())")
        }
        return lines.joined(separator: "\n")
    }
}
