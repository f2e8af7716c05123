import WeirCodec

/// What the coordinator committed for a partition: the checkpoint (epoch, seq, digest) a new
/// owner must restore, the log offsets it covers per stream, and the workers holding it.
public struct CheckpointCommit: Sendable, Equatable {
    public var epoch: UInt64
    public var seq: UInt64
    public var digest: UInt64
    /// Per stream, the lowest next offset of the partition's jobs: the log before it is no
    /// longer needed once the checkpoint is replicated.
    public var offsets: [StreamOffset]
    /// Names of the workers that stored this checkpoint (owner first).
    public var replicas: [String]

    public init(epoch: UInt64, seq: UInt64, digest: UInt64, offsets: [StreamOffset], replicas: [String]) {
        self.epoch = epoch
        self.seq = seq
        self.digest = digest
        self.offsets = offsets
        self.replicas = replicas
    }

    func encoded() -> [UInt8] {
        var w = WireWriter(capacity: 64)
        w.u64(epoch); w.u64(seq); w.u64(digest)
        w.u32(UInt32(offsets.count)); for o in offsets { w.string(o.stream); w.u64(o.offset) }
        w.u32(UInt32(replicas.count)); for r in replicas { w.string(r) }
        return w.bytes
    }

    static func decode(_ bytes: [UInt8]) -> CheckpointCommit? {
        var r = WireReader(bytes)
        do throws(WireError) {
            let epoch = try r.u64(), seq = try r.u64(), digest = try r.u64()
            var offsets: [StreamOffset] = []
            for _ in 0..<(try r.count("offsets", max: 1 << 12)) { offsets.append(StreamOffset(stream: try r.string(), offset: try r.u64())) }
            var replicas: [String] = []
            for _ in 0..<(try r.count("replicas", max: 1 << 12)) { replicas.append(try r.string()) }
            return CheckpointCommit(epoch: epoch, seq: seq, digest: digest, offsets: offsets, replicas: replicas)
        } catch {
            return nil
        }
    }
}
