import NIOCore
import WeirCodec

/// An ordered, non-blocking sender for one connection: `send` never suspends (so an actor can
/// send without giving up isolation), and `drain` writes the messages in order. Its size is
/// bounded by the protocol: control messages are small and replies answer requests the peer
/// limits itself.
public final class OutboundQueue: Sendable {
    private let stream: AsyncStream<WireMessage>
    private let continuation: AsyncStream<WireMessage>.Continuation

    public init() {
        (stream, continuation) = AsyncStream<WireMessage>.makeStream()
    }

    public func send(_ message: WireMessage) { continuation.yield(message) }

    /// Ends the queue; `drain` returns after the messages already queued.
    public func finish() { continuation.finish() }

    /// Writes queued messages to `outbound` until `finish()` (run this in its own task).
    public func drain(into outbound: NIOAsyncChannelOutboundWriter<WireMessage>) async throws {
        for await message in stream { try await outbound.write(message) }
    }
}
