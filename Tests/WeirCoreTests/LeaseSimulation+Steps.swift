import WeirCore

extension LeaseSimulation {
    mutating func injectFaults() {
        for w in workers.indices {
            if workers[w].alive, rng.unit() < faults.crashRate { crashWorker(w) }
            else if !workers[w].alive, rng.unit() < 0.02 { restartWorker(w) }
            if workers[w].alive, !isPaused(w), rng.unit() < faults.pauseRate {
                stats.pauses += 1
                workers[w].pausedUntil = now + Int64(rng.below(Int(3 * settings.ttlMilliseconds)))
            }
            if workers[w].alive, workers[w].connected, !workers[w].leaving, rng.unit() < faults.leaveRate {
                workers[w].leaving = true
                send(.leave(workers[w].identity), from: w)
            }
        }
        if coordinatorUp, rng.unit() < faults.coordinatorCrashRate { crashCoordinator() }
        if coordinatorUp, now >= coordinatorPausedUntil, rng.unit() < faults.coordinatorPauseRate {
            coordinatorPausedUntil = now + Int64(rng.below(Int(2 * settings.ttlMilliseconds)))
        }
    }

    // MARK: processes

    mutating func connect(_ w: Int) {
        guard coordinatorUp else { return }
        workers[w].connection += 1
        workers[w].connected = true
        workers[w].registered = false
        send(.register(workers[w].identity), from: w)
    }

    mutating func crashWorker(_ w: Int) {
        stats.crashes += 1
        workers[w].alive = false
        workers[w].holder = LeaseHolder(settings: settings)
        if checkpointing { ck.workers[w].running.removeAll() }  // memory is lost; the store (disk) stays
        dropConnection(w)
    }

    mutating func restartWorker(_ w: Int) {
        workers[w].alive = true
        workers[w].incarnation += 1
        workers[w].pausedUntil = .min
        workers[w].leaving = false
    }

    /// The connection closes: the coordinator hears of it after a short delay; in-flight messages are lost.
    mutating func dropConnection(_ w: Int) {
        guard workers[w].connected else { return }
        let identity = workers[w].identity
        workers[w].connected = false
        let connection = workers[w].connection
        let name = workers[w].name
        network.removeAll { $0.connection == connection && ($0.to == w || ($0.to == nil && LeaseSimulation.sender($0.message) == name)) }
        if coordinatorUp { enqueue(.disconnected(identity), to: nil, connection: 0, delay: Int64(rng.below(20))) }
    }

    static func sender(_ message: Message) -> String? {
        switch message {
        case .register(let id), .renew(let id, _, _), .release(let id, _, _), .fetch(let id, _, _), .leave(let id),
             .read(let id, _, _, _), .checkpoint(let id, _, _, _), .replicated(let id, _, _), .stateRequest(let id, _, _, _),
             .stateChain(let id, _, _):
            return id.name
        default: return nil
        }
    }

    mutating func crashCoordinator() {
        stats.coordinatorCrashes += 1
        coordinatorUp = false
        coordinatorRestartAt = now + Int64(rng.below(Int(2 * settings.ttlMilliseconds)))
        network.removeAll { $0.to == nil }
        ck.pendingReplications.removeAll()
        ck.pendingStates.removeAll()
        ck.lastHeard.removeAll()
        for w in workers.indices where workers[w].connected {
            workers[w].connected = false
            let delay = Int64(rng.below(30))
            enqueue(.disconnected(workers[w].identity), to: w, connection: workers[w].connection, delay: delay)
            workers[w].connection += 1  // in-flight replies of the old connection are lost
        }
        let connections = workers.map(\.connection)
        network.removeAll { m in
            guard let to = m.to else { return false }
            return !LeaseSimulation.isDisconnectNotice(m.message) && m.connection != connections[to]
        }
    }

    static func isDisconnectNotice(_ m: Message) -> Bool {
        if case .disconnected = m { return true }
        return false
    }

    mutating func restartCoordinator() {
        coordinatorRestartAt = .max
        coordinatorUp = true
        coordinatorPausedUntil = .min
        authority = LeaseAuthority(partitionCount: partitions, persistedEpochs: durableEpochs, settings: settings, startedAt: now, restarted: true)
        if checkpointing {
            // The commits are durable; the rest of the checkpoint authority starts anew (`Coordinator.init`).
            ck.authority = CheckpointAuthority(replicationFactor: ck.authority.replicationFactor, commits: ck.authority.commits)
            authority.preferredHolders = (0..<partitions).map { ck.authority.commits[$0]?.replicas ?? [] }
        }
    }

    // MARK: network

    mutating func send(_ message: Message, from w: Int) {
        guard workers[w].connected else { return }
        transmit(message, to: nil, connection: workers[w].connection)
    }

    mutating func reply(_ message: Message, to identity: WorkerIdentity) {
        guard let w = workers.firstIndex(where: { $0.identity == identity }), workers[w].connected else { return }
        transmit(message, to: w, connection: workers[w].connection)
    }

    mutating func transmit(_ message: Message, to: Int?, connection: UInt64) {
        if rng.unit() < faults.dropRate { return }
        let copies = rng.unit() < faults.duplicateRate ? 2 : 1
        for _ in 0..<copies {
            let delay = rng.unit() < faults.slowRate ? Int64(rng.below(Int(settings.ttlMilliseconds / 2))) : Int64(1 + rng.below(15))
            enqueue(message, to: to, connection: connection, delay: delay)
        }
    }

    mutating func enqueue(_ message: Message, to: Int?, connection: UInt64, delay: Int64) {
        order += 1
        network.append(InFlight(deliverAt: now + delay, order: order, to: to, connection: connection, message: message))
    }

    mutating func deliverDue() {
        guard network.contains(where: { $0.deliverAt <= now }) else { return }
        let due = network.filter { $0.deliverAt <= now && isReceiverReady($0.to) }
            .sorted { ($0.deliverAt, $0.order) < ($1.deliverAt, $1.order) }
        guard !due.isEmpty else { return }
        let ids = Set(due.map(\.order))
        network.removeAll { ids.contains($0.order) }
        for m in due {
            if let w = m.to {
                guard workers[w].alive else { continue }
                if case .disconnected = m.message {
                    apply(w, workers[w].holder.disconnected())
                } else if m.connection == workers[w].connection && workers[w].connected {
                    workerReceives(w, m.message)
                }
            } else {
                coordinatorReceives(m.message)
            }
        }
    }

    func isReceiverReady(_ to: Int?) -> Bool {
        guard let w = to else { return coordinatorAvailable }
        return !isPaused(w)
    }

    mutating func tickAll() {
        if coordinatorAvailable { execute(authority.tick(now: now)) }
        for w in workers.indices where workers[w].alive && !isPaused(w) {
            let local = workers[w].clock(now)
            apply(w, workers[w].holder.tick(now: local))
            finishLeaveIfDone(w)
            if workers[w].connected && !workers[w].registered { send(.register(workers[w].identity), from: w) }
            if checkpointing {
                workerWork(w)
                continue
            }
            // Work: one data request per valid partition, fenced by epoch at the coordinator.
            for (p, epoch) in workers[w].holder.validPartitions(now: local) where rng.unit() < 0.5 {
                send(.fetch(workers[w].identity, p, epoch), from: w)
            }
        }
    }
}
