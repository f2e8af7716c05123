import WeirCore

extension PartialRowCodec {
    /// Merges `count` rows written by `append` (a report's `encodedRows`) into `merger`, the
    /// rows whose window `include` accepts; the others are read past. Rows are merged from their
    /// bytes (`RollupMerger.add(window:encodedGroup:…)`), so a group seen before costs no
    /// decoding of its values. Malformed bytes throw `.shape` saying what and at which byte.
    public static func merge(_ bytes: [UInt8], count: Int, partition: Int, into merger: RollupMerger,
                             including include: (Window) -> Bool) throws(RollupMerger.MergeError) {
        var r = WireReader(bytes)
        func read<T>(_ body: (inout WireReader) throws(WireError) -> T) throws(RollupMerger.MergeError) -> T {
            do { return try body(&r) } catch { throw .shape("rows: \(error.message)") }
        }
        for _ in 0..<count {
            let (window, group, groups, states) = try read { r throws(WireError) in
                let head = try decodeHead(&r, layout: .compact)
                let groupStart = r.position
                for _ in 0..<head.groups { try r.skipValue("group value") }
                let group = bytes[groupStart..<r.position]
                return (head.window, group, head.groups, try smallCount(&r, .compact, "state count"))
            }
            guard include(window) else {
                try read { r throws(WireError) in for _ in 0..<states { _ = try decodeState(&r) } }
                continue
            }
            try merger.add(window: window, encodedGroup: group, groupCount: groups, stateCount: states, partition: partition) {
                () throws(RollupMerger.MergeError) -> PortableAggregate in try read { r throws(WireError) in try decodeState(&r) }
            }
        }
        try read { r throws(WireError) in
            guard r.isAtEnd else { throw WireError("\(r.remaining) bytes after the last of \(count) rows") }
        }
    }

    /// Decodes `count` rows written by `append` (a report's `encodedRows`).
    public static func decodeRows(_ bytes: [UInt8], count: Int) throws(WireError) -> [PartialRow] {
        var r = WireReader(bytes)
        var rows: [PartialRow] = []
        rows.reserveCapacity(min(count, bytes.count / 20))
        for _ in 0..<count { rows.append(try decodeRow(&r)) }
        guard r.isAtEnd else { throw WireError("\(r.remaining) bytes after the last of \(count) rows") }
        return rows
    }
}
