/// Interns byte strings as dense `UInt32` ids without creating a `String` per lookup.
///
/// An open-addressing table keyed by `StableHash` with a byte comparison on hit; the bytes live
/// in one arena. Used for group keys and for the values of distinct/top-n/first/last, so the hot
/// path hashes raw event bytes and allocates only when a new key appears.
public final class ByteInterner {
    /// One slot of the table. A hit reads only its slot, and for a key longer than 7 bytes the
    /// key's bytes in the arena: the slot carries a short key itself, and where a long one is.
    /// (With the position in `starts` and a second hash check in `hashes`, a lookup was four
    /// dependent loads, and those loads were nearly all of `intern`'s samples in a worker, whose
    /// partitions each hold a table of ~10,000 keys.)
    private struct Slot {
        /// (upper 32 bits of the hash) << 32 | (id + 1); 0 = empty. Part of the hash in the slot
        /// rejects most mismatches without touching the arena.
        var tagAndID: UInt64
        /// A key of at most 7 bytes: `inlineMark | length << 56 | bytes` (little-endian). A longer
        /// one: `length << 32 | start` in the arena, the length capped at `lengthCap` (then read
        /// from `starts`).
        var place: UInt64

        static let empty = Slot(tagAndID: 0, place: 0)
        static let inlineMark: UInt64 = 1 << 63
        static let lengthCap = 0xFF_FFFF
    }

    private var arena: [UInt8] = []
    private var starts: [Int] = [0]
    private var hashes: [UInt64] = []
    private var slots: [Slot]
    private var mask: Int

    public init(capacity: Int = 1024) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [Slot](repeating: .empty, count: size)
        mask = size - 1
    }

    /// Number of distinct keys interned.
    public var count: Int { hashes.count }

    /// The id of `key`, adding it when new.
    public func intern(_ key: UnsafeRawBufferPointer) -> UInt32 {
        let h = StableHash.hash(key)
        let tag = h & 0xFFFF_FFFF_0000_0000
        let inline = Self.inlinePlace(key)
        var index = Int(truncatingIfNeeded: h) & mask
        while true {
            let slot = slots[index]
            if slot.tagAndID == 0 { break }
            if slot.tagAndID & 0xFFFF_FFFF_0000_0000 == tag {
                let same = if let inline { slot.place == inline } else { slot.place & Slot.inlineMark == 0 && equals(slot.place, key) }
                if same { return UInt32(truncatingIfNeeded: (slot.tagAndID & 0xFFFF_FFFF) - 1) }
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
        slots[index] = Slot(tagAndID: tag | UInt64(id + 1), place: inline ?? Self.arenaPlace(start: start, length: key.count))
        if hashes.count * 2 > slots.count { grow() }
        return id
    }

    /// The slot form of a key of at most 7 bytes; nil for a longer one.
    @inline(__always)
    private static func inlinePlace(_ key: UnsafeRawBufferPointer) -> UInt64? {
        guard key.count <= 7 else { return nil }
        var bytes: UInt64 = 0
        for i in 0..<key.count { bytes |= UInt64(key[i]) << (8 * i) }
        return Slot.inlineMark | UInt64(key.count) << 56 | bytes
    }

    private static func arenaPlace(start: Int, length: Int) -> UInt64 {
        UInt64(min(length, Slot.lengthCap)) << 32 | UInt64(start)
    }

    public func intern(_ key: [UInt8]) -> UInt32 { key.withUnsafeBytes { intern($0) } }

    /// The bytes of an interned id.
    public func bytes(_ id: UInt32) -> ArraySlice<UInt8> {
        arena[starts[Int(id)]..<starts[Int(id) + 1]]
    }

    /// The stable hash of an interned id's bytes.
    public func hash(_ id: UInt32) -> UInt64 { hashes[Int(id)] }

    /// Whether the arena's key at `place` (a long key's slot form) is `key`.
    private func equals(_ place: UInt64, _ key: UnsafeRawBufferPointer) -> Bool {
        let start = Int(truncatingIfNeeded: place & 0xFFFF_FFFF)
        var length = Int(truncatingIfNeeded: place >> 32)
        if length == Slot.lengthCap { length = lengthFromStarts(start) }
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

    /// The length of the key starting at `start`, found in `starts` (sorted) by binary search:
    /// only for keys of `Slot.lengthCap` bytes or more.
    private func lengthFromStarts(_ start: Int) -> Int {
        var low = 0, high = starts.count - 1
        while low < high {
            let mid = (low + high) / 2
            if starts[mid] < start { low = mid + 1 } else { high = mid }
        }
        precondition(starts[low] == start && low + 1 < starts.count, "a slot points at \(start), where no key starts")
        return starts[low + 1] - start
    }

    private func grow() {
        let size = slots.count * 2
        slots = [Slot](repeating: .empty, count: size)
        mask = size - 1
        for (id, h) in hashes.enumerated() {
            var index = Int(truncatingIfNeeded: h) & mask
            while slots[index].tagAndID != 0 { index = (index + 1) & mask }
            let start = starts[id], length = starts[id + 1] - starts[id]
            let place = arena.withUnsafeBytes { a in Self.inlinePlace(UnsafeRawBufferPointer(rebasing: a[start..<start + length])) }
            slots[index] = Slot(tagAndID: (h & 0xFFFF_FFFF_0000_0000) | UInt64(id + 1),
                                place: place ?? Self.arenaPlace(start: start, length: length))
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
