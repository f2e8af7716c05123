import Logging
import WeirCodec
import WeirStore
import WeirWire

/// The states a new owner holds that are older than the committed checkpoint it must restore:
/// its standby fold, if it could not reach the committed one, and the newest chain its store
/// keeps for the partition (from when it owned or stood by for it). With no state at all as the
/// last candidate, processing the whole log. Which one serves depends on where the log starts now
/// (`ReplayBounds`): the one with the fewest events to process again.
struct OlderState: Sendable {
    let partition: Int
    private(set) var candidates: [(jobs: [JobCheckpoint], what: String)] = [([], "no state (the log from its start)")]
    /// The newest checkpoint seq among the candidates (0: none).
    private var newestSeq: UInt64 = 0

    init(partition: Int) {
        self.partition = partition
    }

    mutating func offer(_ jobs: [JobCheckpoint], seq: UInt64, what: String) {
        candidates.append((jobs, what))
        newestSeq = max(newestSeq, seq)
    }

    /// Adds the newest chain the store holds, if it is older than `committedSeq` (a newer one
    /// belongs to a history that was not committed) and newer than what is offered already (a
    /// fold of the same chain costs no decoding); a chain that does not rebuild is skipped.
    mutating func loadStored(from store: CheckpointStore, below committedSeq: UInt64, dataPath: DataPath, logger: Logger) async {
        let p = partition
        do {
            guard let newest = try store.storedSeqs(partition: p).last, newest < committedSeq, newest > newestSeq else { return }
            let jobs = try await dataPath.runRestore { try CheckpointChain.rebuild(store.newestChain(partition: p), partition: p).jobs }
            offer(jobs, seq: newest, what: "checkpoint \(newest) stored here")
        } catch {
            logger.info("partition \(p): the stored checkpoint chain is no fallback: \(error)")
        }
    }

    /// The candidate with the fewest events to process again, if any can serve `jobs` from the
    /// log as it is now.
    func best(_ bounds: ReplayBounds, serving jobs: [ReplayBounds.Job]) -> (jobs: [JobCheckpoint], what: String, distance: UInt64)? {
        var best: (jobs: [JobCheckpoint], what: String, distance: UInt64)?
        for c in candidates {
            guard let distance = bounds.replayDistance(from: c.jobs, serving: jobs) else { continue }
            if best.map({ distance < $0.distance }) ?? true { best = (c.jobs, c.what, distance) }
        }
        return best
    }
}
