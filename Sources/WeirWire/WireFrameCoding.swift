import NIOCore
import WeirCodec

/// One received frame, not yet decoded: splitting frames is all the event loop does, so a big
/// message never holds up the connection's other traffic (lease renewals above all).
public struct WireFrame: Sendable {
    /// Version, type and payload (the bytes after the length prefix).
    public let body: [UInt8]
    public init(body: [UInt8]) { self.body = body }

    /// The message type byte.
    public var kind: UInt8 { body.count > 1 ? body[1] : 0 }
    /// True for messages whose decoding can take long (partial aggregates).
    public var isBulk: Bool { WireMessage.isBulk(kind: kind) }

    public func decode() throws(WireError) -> WireMessage { try WireMessage.decode(frameBody: body) }
}

/// Splits the TCP byte stream into length-prefixed frames (see `WireMessage`).
/// A malformed or oversized frame throws, which closes the connection; it never crashes the process.
public struct WireFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = WireFrame
    public let frameBytesMax: Int

    public init(frameBytesMax: Int = WireMessage.frameBytesMax) { self.frameBytesMax = frameBytesMax }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, endianness: .little, as: UInt32.self) else { return .needMoreData }
        guard Int(length) >= 2, Int(length) <= frameBytesMax else {
            throw WireError("frame length \(length) outside 2...\(frameBytesMax)")
        }
        guard buffer.readableBytes >= 4 + Int(length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 4)
        guard let body = buffer.readBytes(length: Int(length)) else { return .needMoreData }
        guard body[0] == WireMessage.version else {
            throw WireError("unsupported protocol version \(body[0]) (this build speaks \(WireMessage.version))")
        }
        context.fireChannelRead(wrapInboundOut(WireFrame(body: body)))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        if buffer.readableBytes > 0 { throw WireError("connection closed inside a frame (\(buffer.readableBytes) bytes left)") }
        return .needMoreData
    }
}

/// Writes pre-encoded frames (`WireMessage.encodedFrame()`): encoding happens before the event loop.
public struct WireFrameEncoder: MessageToByteEncoder {
    public typealias OutboundIn = [UInt8]
    public init() {}
    public func encode(data: [UInt8], out: inout ByteBuffer) throws {
        out.writeBytes(data)
    }
}
