import NIOCore
import WeirCodec

/// Splits the TCP byte stream into length-prefixed frames (see `WireMessage`) and decodes each.
/// A malformed or oversized frame throws, which closes the connection; it never crashes the process.
public struct WireFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = WireMessage
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
        context.fireChannelRead(wrapInboundOut(try WireMessage.decode(frameBody: body)))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        if buffer.readableBytes > 0 { throw WireError("connection closed inside a frame (\(buffer.readableBytes) bytes left)") }
        return .needMoreData
    }
}

/// Writes each outbound `WireMessage` as one frame.
public struct WireFrameEncoder: MessageToByteEncoder {
    public typealias OutboundIn = WireMessage
    public init() {}
    public func encode(data: WireMessage, out: inout ByteBuffer) throws {
        out.writeBytes(data.encodedFrame())
    }
}
