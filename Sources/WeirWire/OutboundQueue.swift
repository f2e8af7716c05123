import NIOCore
import WeirCodec

/// An ordered, non-blocking sender for one connection: `send` never suspends (so an actor can
/// send without giving up isolation), and `drain` writes the messages in order. Its size is
/// bounded by the protocol: control messages are small and replies answer requests the peer
/// limits itself.
public final class OutboundQueue: Sendable {
    private let stream: AsyncStream<Item>
    private let continuation: AsyncStream<Item>.Continuation

    enum Item: Sendable {
        case message(WireMessage)
        case encoded([UInt8])
    }

    public init() {
        (stream, continuation) = AsyncStream<Item>.makeStream()
    }

    /// Queues a message; it is encoded by the draining task, not the caller.
    public func send(_ message: WireMessage) { continuation.yield(.message(message)) }

    /// Queues a frame encoded beforehand (big messages are encoded on data-path threads).
    public func send(encoded frame: [UInt8]) { continuation.yield(.encoded(frame)) }

    /// Ends the queue; `drain` returns after the messages already queued.
    public func finish() { continuation.finish() }

    /// Writes queued messages to `outbound` until `finish()` (run this in its own task).
    public func drain(into outbound: NIOAsyncChannelOutboundWriter<[UInt8]>) async throws {
        for await item in stream {
            switch item {
            case .message(let m): try await outbound.write(m.encodedFrame())
            case .encoded(let frame): try await outbound.write(frame)
            }
        }
    }
}
