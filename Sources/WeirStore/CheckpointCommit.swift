import WeirCodec
import WeirCore

/// The commit record's bytes in the coordinator's LMDB.
extension CheckpointCommit {
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
