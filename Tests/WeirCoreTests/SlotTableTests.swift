import Testing
@testable import WeirCore

/// `RollupMerger`'s slot index: every key is found again, also when many share a hash and
/// when the table grows or was reserved first.
@Suite struct SlotTableTests {
    /// Keys 0..<n with the given hashes; returns the table and checks each key is new on insert.
    static func filled(_ hashes: [Int], reserve: Int? = nil) -> SlotTable {
        var table = SlotTable()
        if let reserve { table.reserve(reserve) { [] } }
        for key in hashes.indices {
            let (found, bucket) = table.find(hashes[key]) { $0 == key }
            #expect(found == nil, "key \(key) was not inserted yet")
            table.insert(key, at: bucket) { Array(hashes[0...key]) }
        }
        return table
    }

    @Test(arguments: [nil, 10, 5_000])
    func everyKeyIsFoundAgain_withCollidingHashesAndGrowth(reserve: Int?) {
        var rng = SystemRandomNumberGenerator()
        let cases: [[Int]] = [
            (0..<3_000).map { $0 % 7 },                          // seven hashes for 3,000 keys
            (0..<3_000).map { $0 << 20 },                        // equal in every low bit
            (0..<3_000).map { _ in Int.random(in: .min ... .max, using: &rng) },
            [Int.min, -1, 0, 1, Int.max],
        ]
        for hashes in cases {
            let table = Self.filled(hashes, reserve: reserve)
            for key in hashes.indices {
                #expect(table.find(hashes[key]) { $0 == key }.slot == key, "key \(key) of \(hashes.count)")
            }
            // A key never inserted is not found, whichever hash it has.
            for hash in hashes.prefix(50) { #expect(table.find(hash) { $0 == -7 }.slot == nil) }
        }
    }
}
