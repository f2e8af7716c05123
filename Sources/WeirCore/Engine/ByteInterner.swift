/// Interns byte strings as dense `UInt32` ids without creating a `String` per lookup.
///
/// An open-addressing table keyed by `StableHash` with a byte comparison on hit; the bytes live
/// in one arena. Used for group keys and for the values of distinct/top-n/first/last, so the hot
/// path hashes raw event bytes and allocates only when a new key appears.
public final class ByteInterner {
    /// One slot of the table. A hit reads only its slot and the key's bytes in the arena: the
    /// slot carries where they are. (With the position in `starts` and a second hash check in
    /// `hashes`, a lookup was four dependent loads, and the two table loads were 96 % of
    /// `intern`'s samples in a worker, whose partitions each hold a table of ~10,000 keys.)
    private struct Slot {
        /// (upper 32 bits of the hash) << 32 | (id + 1); 0 = empty. Part of the hash in the slot
        /// rejects most mismatches without touching the arena.
        var tagAndID: UInt64
        var start: UInt32
        var length: UInt32
    }

    private var arena: [UInt8] = []
    private var starts: [Int] = [0]
    private var hashes: [UInt64] = []
    private var slots: [Slot]
    private var mask: Int

    public init(capacity: Int = 1024) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [Slot](repeating: Slot(tagAndID: 0, start: 0, length: 0), count: size)
        mask = size - 1
    }

    /// Number of distinct keys interned.
    public var count: Int { hashes.count }

    /// The id of `key`, adding it when new.
    public func intern(_ key: UnsafeRawBufferPointer) -> UInt32 {
        let h = StableHash.hash(key)
        let tag = h & 0xFFFF_FFFF_0000_0000
        var index = Int(truncatingIfNeeded: h) & mask
        while true {
            let slot = slots[index]
            if slot.tagAndID == 0 { break }
            if slot.tagAndID & 0xFFFF_FFFF_0000_0000 == tag && equals(slot, key) {
                return UInt32(truncatingIfNeeded: (slot.tagAndID & 0xFFFF_FFFF) - 1)
            }
            index = (index + 1) & mask
        }
        let id = UInt32(hashes.count)
        precondition(id < UInt32.max - 1, "ByteInterner is full (4 billion keys)")
        precondition(arena.count + key.count <= Int(UInt32.max), "ByteInterner's keys exceed 4 GiB")
        let start = arena.count
        hashes.append(h)
        arena.append(contentsOf: key)
        starts.append(arena.count)
        slots[index] = Slot(tagAndID: tag | UInt64(id + 1), start: UInt32(start), length: UInt32(key.count))
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

    private func equals(_ slot: Slot, _ key: UnsafeRawBufferPointer) -> Bool {
        let length = Int(slot.length)
        guard length == key.count else { return false }
        let start = Int(slot.start)
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
        slots = [Slot](repeating: Slot(tagAndID: 0, start: 0, length: 0), count: size)
        mask = size - 1
        for (id, h) in hashes.enumerated() {
            var index = Int(truncatingIfNeeded: h) & mask
            while slots[index].tagAndID != 0 { index = (index + 1) & mask }
            slots[index] = Slot(tagAndID: (h & 0xFFFF_FFFF_0000_0000) | UInt64(id + 1),
                                start: UInt32(starts[id]), length: UInt32(starts[id + 1] - starts[id]))
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
