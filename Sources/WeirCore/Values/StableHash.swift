/// A fixed, seedless 64-bit hash of bytes (FNV-1a followed by a murmur3 finalizer).
///
/// Swift's `Hasher` is seeded per process, so it must never decide anything that reaches output
/// or crosses a process boundary (HyperLogLog registers, partition numbers). This one is stable
/// across runs, machines and versions: changing it changes results, so it never changes.
public enum StableHash {
    @inlinable
    public static func hash(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ seed
        for b in bytes {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01b3
        }
        return finalize(h)
    }

    @inlinable
    public static func hash(_ bytes: [UInt8], seed: UInt64 = 0) -> UInt64 {
        bytes.withUnsafeBytes { hash($0, seed: seed) }
    }

    /// murmur3's fmix64: spreads every input bit over the whole word.
    @inlinable
    public static func finalize(_ value: UInt64) -> UInt64 {
        var k = value
        k ^= k >> 33
        k = k &* 0xff51_afd7_ed55_8ccd
        k ^= k >> 33
        k = k &* 0xc4ce_b9fe_1a85_ec53
        k ^= k >> 33
        return k
    }
}
