/// Group id → row, an open-addressing table with a multiplicative hash: the per-event pane lookup
/// without `Dictionary`'s SipHash. A class, so a lookup through a pane copies no arrays.
final class GroupRowMap {
    private var keys: [UInt32]  // group id + 1; 0 = empty
    private var values: [Int32]
    private var mask: Int
    private(set) var rows: [RowState] = []
    private(set) var groups: [UInt32] = []

    init() {
        keys = [UInt32](repeating: 0, count: 16)
        values = [Int32](repeating: 0, count: 16)
        mask = 15
    }

    var count: Int { rows.count }

    @inline(__always)
    private static func slot(_ group: UInt32, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (UInt64(group) &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    @inline(__always)
    func row(_ group: UInt32) -> RowState? {
        let key = group &+ 1
        var s = GroupRowMap.slot(group, mask)
        while true {
            let k = keys[s]
            if k == key { return rows[Int(values[s])] }
            if k == 0 { return nil }
            s = (s + 1) & mask
        }
    }

    func insert(_ row: RowState, for group: UInt32) {
        precondition(group < UInt32.max, "group id out of range")
        if (rows.count + 1) * 2 > keys.count { grow() }
        var s = GroupRowMap.slot(group, mask)
        while keys[s] != 0 { s = (s + 1) & mask }
        keys[s] = group &+ 1
        values[s] = Int32(rows.count)
        rows.append(row)
        groups.append(group)
    }

    private func grow() {
        let size = keys.count * 2
        keys = [UInt32](repeating: 0, count: size)
        values = [Int32](repeating: 0, count: size)
        mask = size - 1
        for (i, g) in groups.enumerated() {
            var s = GroupRowMap.slot(g, mask)
            while keys[s] != 0 { s = (s + 1) & mask }
            keys[s] = g &+ 1
            values[s] = Int32(i)
        }
    }
}
