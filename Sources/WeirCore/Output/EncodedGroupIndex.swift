/// Finds `RollupMerger` slots by a partial row's (window, encoded group values), so a row whose
/// group bytes were seen before merges without decoding its values.
///
/// A query merges each (window, group) from every partition: of a dashboard answer's rows most
/// repeat a group already seen, and decoding their values (a `String` per text value, an array
/// per row) and hashing them as `FieldValue`s was most of the merge. Equal bytes mean equal
/// values (the encoding is injective), so a byte match is always the right slot. Bytes seen for
/// the first time are decoded and looked up by value, since values that compare equal may be
/// encoded differently (a string and a canonically equivalent one).
struct EncodedGroupIndex {
    private var table = SlotTable()
    private var windows: [Window] = []
    /// Entry i's bytes are `arena[starts[i]..<starts[i + 1]]`.
    private var starts: [Int] = [0]
    private var arena: [UInt8] = []
    private var hashes: [Int] = []
    private var targets: [Int] = []

    static func hash(_ window: Window, _ group: UnsafeRawBufferPointer) -> Int {
        let seed = StableHash.finalize(UInt64(bitPattern: window.start) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(bitPattern: window.end))
        return Int(truncatingIfNeeded: StableHash.hash(group, seed: seed))
    }

    /// The merger slot recorded for these bytes, or where to record one.
    func find(_ hash: Int, _ window: Window, _ group: UnsafeRawBufferPointer) -> (target: Int?, bucket: Int) {
        let (entry, bucket) = table.find(hash) { i in
            hashes[i] == hash && windows[i] == window && arena.withUnsafeBytes { a in
                let start = starts[i], length = starts[i + 1] - start
                guard length == group.count else { return false }
                guard length > 0, let base = a.baseAddress, let g = group.baseAddress else { return true }
                return memcmp(base + start, g, length) == 0
            }
        }
        return (entry.map { targets[$0] }, bucket)
    }

    /// Records that these bytes merge into `target` (`bucket` from the `find` just before).
    mutating func insert(_ hash: Int, _ window: Window, _ group: UnsafeRawBufferPointer, target: Int, bucket: Int) {
        windows.append(window)
        arena.append(contentsOf: group)
        starts.append(arena.count)
        hashes.append(hash)
        targets.append(target)
        table.insert(targets.count - 1, at: bucket) { hashes }
    }

    mutating func reserve(_ entries: Int) {
        table.reserve(entries) { hashes }
        windows.reserveCapacity(entries)
        hashes.reserveCapacity(entries)
        targets.reserveCapacity(entries)
        starts.reserveCapacity(entries + 1)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
