/// XXH64 (Yann Collet's xxHash, 64-bit), as specified in xxhash's `doc/xxhash_spec.md`: a
/// fixed, seeded, non-cryptographic hash that reads 32 bytes a step in four independent lanes.
///
/// Checkpoint chains hash every compressed body they seal, ship and verify; `StableHash`
/// (FNV-1a) takes a multiply per byte, one after another, and was ~10 times the CRC-32C of the
/// same bytes in perf. Stable across runs, machines and versions: stored digests depend on it.
public enum XXH64 {
    static let prime1: UInt64 = 0x9E37_79B1_85EB_CA87
    static let prime2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    static let prime3: UInt64 = 0x1656_67B1_9E37_79F9
    static let prime4: UInt64 = 0x85EB_CA77_C2B2_AE63
    static let prime5: UInt64 = 0x27D4_EB2F_1656_67C5

    public static func hash(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0) -> UInt64 {
        let count = bytes.count
        var at = 0
        func word(_ i: Int) -> UInt64 { UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)) }
        var h: UInt64
        if count >= 32 {
            var v1 = seed &+ prime1 &+ prime2, v2 = seed &+ prime2, v3 = seed, v4 = seed &- prime1
            while at + 32 <= count {
                v1 = round(v1, word(at))
                v2 = round(v2, word(at + 8))
                v3 = round(v3, word(at + 16))
                v4 = round(v4, word(at + 24))
                at += 32
            }
            h = v1.rotatedLeft(1) &+ v2.rotatedLeft(7) &+ v3.rotatedLeft(12) &+ v4.rotatedLeft(18)
            h = merge(h, v1)
            h = merge(h, v2)
            h = merge(h, v3)
            h = merge(h, v4)
        } else {
            h = seed &+ prime5
        }
        h &+= UInt64(count)
        while at + 8 <= count {
            h = (h ^ round(0, word(at))).rotatedLeft(27) &* prime1 &+ prime4
            at += 8
        }
        if at + 4 <= count {
            let w = UInt64(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
            h = (h ^ (w &* prime1)).rotatedLeft(23) &* prime2 &+ prime3
            at += 4
        }
        while at < count {
            h = (h ^ (UInt64(bytes[at]) &* prime5)).rotatedLeft(11) &* prime1
            at += 1
        }
        h ^= h >> 33
        h &*= prime2
        h ^= h >> 29
        h &*= prime3
        h ^= h >> 32
        return h
    }

    public static func hash(_ bytes: [UInt8], seed: UInt64 = 0) -> UInt64 {
        bytes.withUnsafeBytes { hash($0, seed: seed) }
    }

    @inline(__always)
    private static func merge(_ h: UInt64, _ lane: UInt64) -> UInt64 {
        (h ^ round(0, lane)) &* prime1 &+ prime4
    }

    @inline(__always)
    private static func round(_ acc: UInt64, _ input: UInt64) -> UInt64 {
        (acc &+ input &* prime2).rotatedLeft(31) &* prime1
    }
}

extension UInt64 {
    @inline(__always)
    fileprivate func rotatedLeft(_ n: UInt64) -> UInt64 { (self << n) | (self >> (64 - n)) }
}
