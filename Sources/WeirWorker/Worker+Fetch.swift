import WeirCodec
import WeirCore
import WeirWire

extension Worker {
    /// Pulls `stream`'s log of the partition and feeds the runner until the lease ends.
    /// One request in flight per (partition, stream): flow control by pulling.
    func fetchLoop(_ lease: LeaseRef, _ runner: PartitionRunner, _ stream: String) async {
        // The loop tracks the offset itself: asking the runner waits for its lock, which this
        // actor must not do (it must stay free for lease renewals).
        guard var offset = try? await dataPath.runInteractive({ runner.offset(of: stream) }) else { return }
        while !Task.isCancelled {
            let outcome = await fetch(lease, stream: stream, offset: offset)
            if case .timedOut = outcome {
                logger.warning("partition \(lease.partition) stream \(stream): no answer to a fetch within \(WorkerRequests.fetchDeadline); asking again")
                continue
            }
            guard case .fetchReply(_, _, let status, let chunk)? = outcome.reply ?? nil else { return }
            switch status {
            case .ok: break
            case .stale:
                apply(holder.refusedAsStale(partition: lease.partition, epoch: lease.epoch))
                return
            case .outOfRange:
                logger.error("partition \(lease.partition) stream \(stream): offset \(offset) is outside the log; stopping it")
                return
            }
            // Apply only while the lease is still valid by our own clock.
            guard !Task.isCancelled, holder.isValid(lease.partition, epoch: lease.epoch, now: now()) else { return }
            if chunk.count > 0 {
                do {
                    try await dataPath.run { try runner.apply(stream: stream, chunk) }
                    offset = chunk.nextOffset
                } catch let error as CheckpointError {
                    logger.critical("\(error.message): events are missing; stopping the partition")
                    apply(holder.refusedAsStale(partition: lease.partition, epoch: lease.epoch))
                    return
                } catch {
                    return  // the data-path pool is shutting down
                }
            }
        }
    }

    /// Sends a fetch and waits for its reply, its deadline, or the connection's end.
    func fetch(_ lease: LeaseRef, stream: String, offset: UInt64) async -> RequestCorrelator<RequestID, WireMessage?>.Outcome {
        guard let outbound else { return .failed("not connected") }
        let id = requests.numbers.make()
        return await requests.fetches.request(id, initial: nil, timeout: WorkerRequests.fetchDeadline) {
            outbound.send(.fetch(request: id.value, lease: lease, stream: stream, offset: offset, maxBytes: settings.fetchBytesMax))
        }
    }
}
