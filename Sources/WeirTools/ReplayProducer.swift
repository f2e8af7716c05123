import Synchronization

/// The replay's idempotent producer: every batch read from the recording gets the next
/// sequence number of this producer (`ProducerBatch`), stays here until the coordinator
/// acknowledges it, and is sent again on the next connection when the last one ended first. The
/// coordinator's log appends each (producer, sequence) once, so a replay that rides through a
/// coordinator restart counts every event exactly once.
///
/// Shared by the task reading the recording (`add`, `finishProducing`), the one sending
/// (`nextToSend`) and the one reading acknowledgements (`acknowledged`); a `Mutex` guards it all.
package final class ReplayProducer: Sendable {
    package let id: UInt64

    private struct Entry {
        var seq: UInt64
        var batch: ReplayBatcher.Batch
        var sent: Bool
    }

    private struct State {
        /// Read and not acknowledged yet, in sequence order (at most the batcher's window).
        var entries: [Entry] = []
        var nextSeq: UInt64 = 1
        var producingDone = false
        var sender: CheckedContinuation<Void, Never>?
        var sentEvents = 0, accepted = 0, rejected = 0, problemsShown = 0
        var resent = 0, duplicates = 0, reconnections = 0
    }

    private let state = Mutex(State())

    /// - Parameter id: from 1; a random one per replay, so two replays never share an id.
    package init(id: UInt64 = UInt64.random(in: 1...UInt64.max)) {
        precondition(id != 0, "producer ids start at 1")
        self.id = id
    }

    /// A batch read from the recording, to be sent.
    package func add(_ batch: ReplayBatcher.Batch) {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.entries.append(Entry(seq: s.nextSeq, batch: batch, sent: false))
            s.nextSeq += 1
            defer { s.sender = nil }
            return s.sender
        }
        waiter?.resume()
    }

    /// The recording is read to its end.
    package func finishProducing() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.producingDone = true
            defer { s.sender = nil }
            return s.sender
        }
        waiter?.resume()
    }

    /// The next batch to send on this connection (a batch not acknowledged on an earlier one
    /// first), waiting for the recording when none is ready; nil when everything was sent, or
    /// when the calling task is cancelled.
    package func nextToSend() async -> (seq: UInt64, batch: ReplayBatcher.Batch, isFirstSend: Bool)? {
        while !Task.isCancelled {
            enum Step { case send(UInt64, ReplayBatcher.Batch, Bool), done, wait }
            let step = state.withLock { s -> Step in
                if let i = s.entries.firstIndex(where: { !$0.sent }) {
                    s.entries[i].sent = true
                    let first = !s.entries[i].batch.wasSent
                    if first { s.sentEvents += s.entries[i].batch.events } else { s.resent += 1 }
                    s.entries[i].batch.wasSent = true
                    return .send(s.entries[i].seq, s.entries[i].batch, first)
                }
                return s.producingDone ? .done : .wait
            }
            switch step {
            case .send(let seq, let batch, let first): return (seq, batch, first)
            case .done: return nil
            case .wait:
                await withTaskCancellationHandler {
                    await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                        let ready = state.withLock { s -> Bool in
                            guard !s.producingDone, !s.entries.contains(where: { !$0.sent }), !Task.isCancelled else { return true }
                            s.sender = c
                            return false
                        }
                        if ready { c.resume() }
                    }
                } onCancel: {
                    let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in defer { s.sender = nil }; return s.sender }
                    waiter?.resume()
                }
            }
        }
        return nil
    }

    /// The coordinator acknowledged batch `seq`; false when it was not waiting for one (an
    /// answer already counted).
    package func acknowledged(seq: UInt64, accepted: Int, rejected: Int, duplicate: Bool) -> Bool {
        state.withLock { s in
            guard let i = s.entries.firstIndex(where: { $0.seq == seq }) else { return false }
            s.entries.remove(at: i)
            s.accepted += accepted
            s.rejected += rejected
            if duplicate { s.duplicates += 1 }
            return true
        }
    }

    /// The connection ended: what was sent and not acknowledged goes again on the next one.
    package func connectionLost() {
        state.withLock { s in
            for i in s.entries.indices { s.entries[i].sent = false }
            s.reconnections += 1
        }
    }

    package var isDone: Bool { state.withLock { $0.producingDone && $0.entries.isEmpty } }
    package var sentEvents: Int { state.withLock { $0.sentEvents } }
    package var accepted: Int { state.withLock { $0.accepted } }
    package var rejected: Int { state.withLock { $0.rejected } }
    package var acknowledgedEvents: Int { state.withLock { $0.accepted + $0.rejected } }
    package var unacknowledgedBatches: Int { state.withLock { $0.entries.count } }
    /// Batches sent again after a lost connection, and answered as already in the log.
    package var resentBatches: Int { state.withLock { $0.resent } }
    package var duplicateBatches: Int { state.withLock { $0.duplicates } }
    package var reconnections: Int { state.withLock { $0.reconnections } }
    package var problemsShown: Int { state.withLock { $0.problemsShown } }
    package func showedProblem() { state.withLock { $0.problemsShown += 1 } }
}
