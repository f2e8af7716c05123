import WeirCore

/// One job's part of a partition checkpoint: where it is in its stream's log, its engine's
/// window state (whole in a base, the changes since the previous checkpoint in a delta), and
/// the final partial rows it keeps for queries.
public struct JobCheckpoint: Sendable, Equatable {
    public var name: String
    /// `StableHash` of the job's spec text: a job replaced under the same name must not inherit state.
    public var specDigest: UInt64
    /// The next offset of the job's stream log to process (everything before it is in this state).
    public var nextOffset: UInt64
    /// Events the job refused (bad JSON or bad fields).
    public var rejected: Int64
    /// The latest end of any final window kept. Written for the format (version 4) and checked
    /// by nothing: restores and queries do not read it since reports carry their own newest row
    /// end (`PartitionReport.newestRowEnd`).
    public var newestEnd: Int64
    public var engine: EngineSnapshot
    /// Final partial rows in `PartialRowCodec` form, grouped by window start (as a worker keeps
    /// them, so a restore copies groups instead of decoding rows): in a delta, those emitted since
    /// the previous checkpoint; in a base, every row still retained.
    public var finals: [FinalRowGroup]
    public var finalCount: Int { finals.reduce(0) { $0 + $1.rows } }

    public init(name: String, specDigest: UInt64, nextOffset: UInt64, rejected: Int64, newestEnd: Int64,
                engine: EngineSnapshot, finals: [FinalRowGroup]) {
        self.name = name
        self.specDigest = specDigest
        self.nextOffset = nextOffset
        self.rejected = rejected
        self.newestEnd = newestEnd
        self.engine = engine
        self.finals = finals
    }

    /// Groups encoded rows by window start (decoding each row once).
    public static func groups(fromRows bytes: [UInt8], count: Int) throws(WireError) -> [FinalRowGroup] {
        var r = WireReader(bytes)
        var groups: [Int64: FinalRowGroup] = [:]
        for _ in 0..<count {
            let start = r.position
            let row = try PartialRowCodec.decodeRow(&r)
            groups[row.window.start, default: FinalRowGroup(start: row.window.start)].add(bytes[start..<r.position], end: row.window.end)
        }
        guard r.isAtEnd else { throw WireError("\(r.remaining) bytes after \(count) final rows") }
        return groups.keys.sorted().compactMap { groups[$0] }
    }

    /// About what `append(to:)` writes: the final rows exactly, the engine's cells roughly.
    var estimatedBytes: Int {
        finals.reduce(0) { $0 + $1.bytes.count + 24 } + engine.cells.count * 48 + 256
    }

    func append(to w: inout WireWriter) {
        w.string(name)
        w.u64(specDigest)
        w.u64(nextOffset)
        w.i64(rejected)
        w.i64(newestEnd)
        EngineSnapshotCodec.append(engine, to: &w)
        w.u32(UInt32(finals.count))
        for g in finals { w.i64(g.start); w.i64(g.maxEnd); w.u32(UInt32(g.rows)); w.blob(g.bytes) }
    }

    /// `layout`: how its rows are written (`.fixed` before checkpoint version 4); final rows of
    /// the fixed layout are rewritten compact, the only layout a worker keeps and reports.
    static func decode(_ r: inout WireReader, layout: PartialRowCodec.Layout) throws(WireError) -> JobCheckpoint {
        let name = try r.string("job name")
        let specDigest = try r.u64("spec digest")
        let nextOffset = try r.u64("next offset")
        let rejected = try r.i64("rejected")
        let newestEnd = try r.i64("newest end")
        let engine = try EngineSnapshotCodec.decode(&r, layout: layout)
        var finals: [FinalRowGroup] = []
        for _ in 0..<(try r.count("final row groups")) {
            let start = try r.i64("group start"), maxEnd = try r.i64("group end")
            let rows = try r.count("final rows")
            var bytes = try r.blob("final rows")
            if layout == .fixed { bytes = try PartialRowCodec.compacted(fixedRows: bytes, count: rows) }
            finals.append(FinalRowGroup(start: start, maxEnd: maxEnd, rows: rows, bytes: bytes))
        }
        return JobCheckpoint(name: name, specDigest: specDigest, nextOffset: nextOffset, rejected: rejected,
                             newestEnd: newestEnd, engine: engine, finals: finals)
    }
}

/// The encoded final rows of the windows starting at one time.
public struct FinalRowGroup: Sendable, Equatable {
    public var start: Int64
    public var maxEnd: Int64 = .min
    public var rows = 0
    public var bytes: [UInt8] = []

    public init(start: Int64, maxEnd: Int64 = .min, rows: Int = 0, bytes: [UInt8] = []) {
        self.start = start
        self.maxEnd = maxEnd
        self.rows = rows
        self.bytes = bytes
    }

    public mutating func add(_ row: some Collection<UInt8>, end: Int64) {
        bytes += row
        rows += 1
        maxEnd = max(maxEnd, end)
    }

    public mutating func add(_ other: FinalRowGroup) {
        bytes += other.bytes
        rows += other.rows
        maxEnd = max(maxEnd, other.maxEnd)
    }
}
