import NIOCore
import WeirCodec
import WeirCore
import WeirWire

/// A worker's side of one connection, played by a test: it says hello, renews what it was
/// granted, and asks fetches and checkpoints one at a time, returning their answers.
actor ScriptedWorker {
    private let outbound: NIOAsyncChannelOutboundWriter<[UInt8]>
    private var granted: [LeaseRef] = []
    private var renewSeq: UInt64 = 0
    private var nextRequest: UInt64 = 1
    private var waiting: [(accepts: @Sendable (WireMessage) -> Bool, continuation: CheckedContinuation<WireMessage, any Error>)] = []

    private init(outbound: NIOAsyncChannelOutboundWriter<[UInt8]>) { self.outbound = outbound }

    /// Connects as worker `w1`, runs `body`, and closes the connection.
    static func session(_ host: String, _ port: Int, _ body: (ScriptedWorker) async throws -> Void) async throws {
        let connection = try await WireEndpoint.connect(host: host, port: port)
        try await connection.executeThenClose { inbound, outbound in
            let worker = ScriptedWorker(outbound: outbound)
            try await worker.send(.hello(worker: "w1", incarnation: 1, cores: 2))
            let reader = Task { for try await frame in inbound { await worker.received(try frame.decode()) } }
            let renewer = Task { while !Task.isCancelled { try await Task.sleep(for: .milliseconds(200)); try await worker.renew() } }
            defer { reader.cancel(); renewer.cancel() }
            try await body(worker)
        }
    }

    private func send(_ message: WireMessage) async throws { try await outbound.write(message.encodedFrame()) }

    private func renew() async throws {
        renewSeq += 1
        try await send(.renew(seq: renewSeq, leases: granted, problem: ""))
    }

    private func received(_ message: WireMessage) async {
        if case .grant(let lease, _) = message {
            granted.removeAll { $0.partition == lease.partition }
            granted.append(lease)
            try? await renew()  // takes the grant up at once
        }
        if let i = waiting.firstIndex(where: { $0.accepts(message) }) {
            waiting.remove(at: i).continuation.resume(returning: message)
        }
    }

    private func wait(for accepts: @escaping @Sendable (WireMessage) -> Bool) async throws -> WireMessage {
        try await withCheckedThrowingContinuation { waiting.append((accepts, $0)) }
    }

    /// The leases once `count` partitions are granted.
    func waitForGrants(_ count: Int) async throws -> [LeaseRef] {
        while granted.count < count {
            _ = try await wait { if case .grant = $0 { true } else { false } }
        }
        return granted.sorted { $0.partition < $1.partition }
    }

    func fetch(_ lease: LeaseRef, stream: String, from offset: UInt64) async throws -> WireLogChunk {
        let request = nextRequest
        nextRequest += 1
        try await send(.fetch(request: request, lease: lease, stream: stream, offset: offset, maxBytes: 1 << 20))
        let reply = try await wait { if case .fetchReply(request, _, _, _) = $0 { true } else { false } }
        guard case .fetchReply(_, _, .ok, let chunk) = reply else { throw WireError("fetch \(request) refused: \(reply)") }
        return chunk
    }

    func checkpoint(_ lease: LeaseRef, seq: UInt64, digest: UInt64, blob: [UInt8]) async throws -> (status: CheckpointStatus, message: String) {
        try await send(.checkpoint(lease: lease, seq: seq, digest: digest, offsets: [], blob: blob, timing: CheckpointTiming()))
        let reply = try await wait { if case .checkpointReply(lease, seq, _, _) = $0 { true } else { false } }
        guard case .checkpointReply(_, _, let status, let message) = reply else { preconditionFailure("matched a checkpoint reply") }
        return (status, message)
    }
}
