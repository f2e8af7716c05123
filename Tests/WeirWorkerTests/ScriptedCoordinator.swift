import NIOCore
import WeirCodec
import WeirCore
import WeirWire

/// The coordinator's side of one worker connection, played by a test over a real TCP
/// connection: renewals are answered (renewed), fetches are answered from the events released
/// so far (a fetch past them waits, as the coordinator's long poll does), and checkpoints are
/// handed to the test, which decides when and how to answer them.
actor ScriptedCoordinator {
    struct Checkpoint {
        var lease: LeaseRef
        var seq: UInt64
        var digest: UInt64
        var offsets: [StreamOffset]
        var blob: [UInt8]
    }

    private let outbound: NIOAsyncChannelOutboundWriter<[UInt8]>
    private let lines: [[UInt8]]
    private let job: JobDefinition
    private let lease: LeaseRef
    private var released = 0
    private var pendingFetches: [(request: UInt64, lease: LeaseRef, offset: UInt64)] = []
    /// Every checkpoint the worker sent, in arrival order.
    private(set) var checkpoints: [Checkpoint] = []

    init(outbound: NIOAsyncChannelOutboundWriter<[UInt8]>, lines: [[UInt8]], job: JobDefinition, lease: LeaseRef) {
        self.outbound = outbound
        self.lines = lines
        self.job = job
        self.lease = lease
    }

    func handle(_ message: WireMessage) async throws {
        switch message {
        case .hello:
            try await send(.welcome(leaseTTLMilliseconds: 10_000, partitionCount: 1))
            try await send(.jobs([job]))
            try await send(.grant(lease, committed: .none))
        case .renew(let seq, let leases, _):
            try await send(.renewReply(seq: seq, verdicts: leases.map { LeaseVerdict(lease: $0, verdict: .renewed) }))
        case .fetch(let request, let lease, _, let offset, _):
            pendingFetches.append((request, lease, offset))
            try await answerFetches()
        case .checkpoint(let lease, let seq, let digest, let offsets, let blob, _):
            checkpoints.append(Checkpoint(lease: lease, seq: seq, digest: digest, offsets: offsets, blob: blob))
        default:
            break
        }
    }

    /// Makes the first `count` events available to fetches.
    func release(upTo count: Int) async throws {
        released = count
        try await answerFetches()
    }

    /// Answers checkpoint `c` as committed.
    func commit(_ c: Checkpoint) async throws {
        try await send(.checkpointReply(lease: c.lease, seq: c.seq, status: .committed, message: ""))
    }

    private func answerFetches() async throws {
        let ready = pendingFetches.filter { $0.offset < UInt64(released) }
        pendingFetches.removeAll { $0.offset < UInt64(released) }
        for f in ready {
            let first = Int(f.offset)
            let bytes = lines[first..<released].flatMap { $0 + [UInt8(ascii: "\n")] }
            let chunk = WireLogChunk(firstOffset: f.offset, count: released - first, durableEnd: UInt64(released), lines: bytes)
            try await send(.fetchReply(request: f.request, lease: f.lease, status: .ok, chunk: chunk))
        }
    }

    private func send(_ message: WireMessage) async throws {
        try await outbound.write(message.encodedFrame())
    }
}
