import NIOCore
import NIOPosix
import WeirCodec

/// One framed connection between Weir processes: frames in, encoded frames out.
public typealias WireConnection = NIOAsyncChannel<WireFrame, [UInt8]>

/// Opening framed TCP connections and listeners.
public enum WireEndpoint {
    /// Listens on `host:port` (port 0 picks a free one); each accepted connection is framed.
    public static func listen(host: String, port: Int, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton)
        async throws -> NIOAsyncChannel<WireConnection, Never> {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try framed(channel) }
            }
    }

    /// Connects to `host:port`.
    public static func connect(host: String, port: Int, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton)
        async throws -> WireConnection {
        try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try framed(channel) }
            }
    }

    static func framed(_ channel: any Channel) throws -> WireConnection {
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(WireFrameDecoder()))
        try channel.pipeline.syncOperations.addHandler(MessageToByteHandler(WireFrameEncoder()))
        return try WireConnection(wrappingChannelSynchronously: channel)
    }

    /// Parses `host:port`.
    public static func parse(_ address: String) -> (host: String, port: Int)? {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
              (0...65535).contains(port) else { return nil }
        let host = String(address[..<colon])
        return host.isEmpty ? nil : (host, port)
    }
}
