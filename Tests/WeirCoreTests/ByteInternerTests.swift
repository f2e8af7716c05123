import Testing
import WeirCore

/// The interner against a dictionary: ids are dense, stable and one per distinct byte string,
/// across empty keys, keys of up to 7 bytes (held in the table's slot), long keys (compared byte
/// by byte up to 32 bytes, by `memcmp` past that), keys past the slot's length cap (16 MiB),
/// keys that differ only in length or trailing zero bytes, and many table growths.
@Suite struct ByteInternerTests {
    @Test func idsMatchADictionaryAcrossLengthsAndGrowths() {
        let interner = ByteInterner(capacity: 4)
        var reference: [[UInt8]: UInt32] = [:]
        var keys: [[UInt8]] = [[], [0], [0, 0], [65], [65, 0], [0, 65]]
        keys += (0..<20).map { n in [UInt8](repeating: 7, count: n) }
        keys += (0..<20).map { n in [UInt8](repeating: 7, count: n) + [0] }
        // A shared prefix, different tails and lengths: only the full comparison tells them apart.
        keys += (0..<300).map { i in Array("prefix__".utf8) + Array("\(i)".utf8) }
        keys += (0..<50).map { i in [UInt8](repeating: 9, count: 40) + Array("\(i)".utf8) }  // past 32 bytes: memcmp
        var rng = SystemRandomNumberGenerator()
        keys += (0..<5_000).map { _ in (0..<Int.random(in: 0...12, using: &rng)).map { _ in UInt8.random(in: 0...3, using: &rng) } }
        keys += (0..<5_000).map { i in Array("p\(i)".utf8) }
        // Past the slot's length cap: the length is read from where the next key starts.
        let huge = [UInt8](repeating: 1, count: 1 << 24)
        keys += [huge, huge + [0], Array(huge.dropLast()) + [2], [1, 1]]
        for round in 0..<2 {
            for key in keys {
                let id = interner.intern(key)
                if let known = reference[key] {
                    #expect(id == known, "key \(key) got \(id), first interned as \(known) (round \(round))")
                } else {
                    #expect(Int(id) == reference.count, "a new key gets the next dense id")
                    reference[key] = id
                }
            }
        }
        #expect(interner.count == reference.count)
        for (key, id) in reference {
            #expect(Array(interner.bytes(id)) == key)
            #expect(interner.hash(id) == key.withUnsafeBytes { StableHash.hash($0) })
        }
    }
}
