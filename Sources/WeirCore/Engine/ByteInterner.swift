/// Interns byte strings as dense `UInt32` ids without creating a `String` per lookup.
///
/// An open-addressing table keyed by `StableHash` with a byte comparison on hit; the bytes live
/// in one arena. Used for group keys and for the values of distinct/top-n/first/last, so the hot
/// path hashes raw event bytes and allocates only when a new key appears.
public final class ByteInterner {
    private var arena: [UInt8] = []
    private var starts: [Int] = [0]
    private var hashes: [UInt64] = []
    /// Slot → (upper 32 bits of the hash) << 32 | (id + 1); 0 = empty. Keeping part of the hash
    /// in the slot lets a probe reject a mismatch without touching `hashes` or the arena.
    private var slots: [UInt64]
    private var mask: Int

    public init(capacity: Int = 1024) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [UInt64](repeating: 0, count: size)
        mask = size - 1
    }

    /// Number of distinct keys interned.
    public var count: Int { hashes.count }

    /// The id of `key`, adding it when new.
    public func intern(_ key: UnsafeRawBufferPointer) -> UInt32 {
        let h = StableHash.hash(key)
        let tag = h & 0xFFFF_FFFF_0000_0000
        var slot = Int(truncatingIfNeeded: h) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { break }
            if entry & 0xFFFF_FFFF_0000_0000 == tag {
                let id = Int(entry & 0xFFFF_FFFF) - 1
                if hashes[id] == h && equals(id, key) { return UInt32(id) }
            }
            slot = (slot + 1) & mask
        }
        let id = UInt32(hashes.count)
        precondition(id < UInt32.max - 1, "ByteInterner is full (4 billion keys)")
        hashes.append(h)
        arena.append(contentsOf: key)
        starts.append(arena.count)
        slots[slot] = tag | UInt64(id + 1)
        if hashes.count * 2 > slots.count { grow() }
        return id
    }

    public func intern(_ key: [UInt8]) -> UInt32 { key.withUnsafeBytes { intern($0) } }

    /// The bytes of an interned id.
    public func bytes(_ id: UInt32) -> ArraySlice<UInt8> {
        arena[starts[Int(id)]..<starts[Int(id) + 1]]
    }

    /// The stable hash of an interned id's bytes.
    public func hash(_ id: UInt32) -> UInt64 { hashes[Int(id)] }

    private func equals(_ id: Int, _ key: UnsafeRawBufferPointer) -> Bool {
        let start = starts[id]
        let length = starts[id + 1] - start
        guard length == key.count else { return false }
        return arena.withUnsafeBytes { a in
            if length <= 32 {
                for i in 0..<length where a[start + i] != key[i] { return false }
                return true
            }
            guard let base = a.baseAddress, let k = key.baseAddress else { return length == 0 }
            return memcmp(base + start, k, length) == 0
        }
    }

    private func grow() {
        let size = slots.count * 2
        slots = [UInt64](repeating: 0, count: size)
        mask = size - 1
        for (id, h) in hashes.enumerated() {
            var slot = Int(truncatingIfNeeded: h) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = (h & 0xFFFF_FFFF_0000_0000) | UInt64(id + 1)
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
