/// An open-addressing index from a precomputed hash to a slot number, for `RollupMerger`.
///
/// A `Dictionary` keyed by (window, group) hashed each key again on every lookup and insert,
/// and every key once more on each resize (a `Hasher` per key even when the key carries its
/// hash). Here a lookup is a linear probe over slot numbers whose keys the caller compares
/// (hash first), and a resize re-places the slots by the hashes the caller keeps. In a merge
/// of 55,000 partial rows (perf) the dictionary's find, insert and resize were ~17 % of it.
struct SlotTable {
    /// Slot number + 1 per bucket; 0 is an empty bucket. A power of two in size.
    private var buckets: [Int32] = []
    private var count = 0

    /// The slot whose key `matches`, or the empty bucket where a new slot with this hash goes.
    func find(_ hash: Int, matches: (Int) -> Bool) -> (slot: Int?, bucket: Int) {
        guard !buckets.isEmpty else { return (nil, -1) }
        let mask = buckets.count - 1
        var b = hash & mask
        while true {
            let entry = Int(buckets[b])
            if entry == 0 { return (nil, b) }
            if matches(entry - 1) { return (entry - 1, b) }
            b = (b + 1) & mask
        }
    }

    /// Records `slot` at `bucket` (from `find` just before); `all()` gives every slot's hash,
    /// `slot`'s included, for when the table grows (every slot is placed again).
    mutating func insert(_ slot: Int, at bucket: Int, hashes all: () -> [Int]) {
        precondition(slot < Int(Int32.max), "a merge of more than \(Int32.max) rows")
        if (count + 1) * 2 > buckets.count {
            rebuild(capacity: (count + 1) * 2, hashes: all())
            return
        }
        buckets[bucket] = Int32(slot + 1)
        count += 1
    }

    /// Room for `slots` entries without growing.
    mutating func reserve(_ slots: Int, hashes: () -> [Int]) {
        guard slots * 2 > buckets.count else { return }
        rebuild(capacity: slots * 2, hashes: hashes())
    }

    private mutating func rebuild(capacity: Int, hashes slotHashes: [Int]) {
        var size = 16
        while size < capacity { size <<= 1 }
        buckets = Array(repeating: 0, count: size)
        count = 0
        for (slot, hash) in slotHashes.enumerated() { place(slot, hash: hash) }
    }

    private mutating func place(_ slot: Int, hash: Int) {
        let mask = buckets.count - 1
        var b = hash & mask
        while buckets[b] != 0 { b = (b + 1) & mask }
        buckets[b] = Int32(slot + 1)
        count += 1
    }
}
