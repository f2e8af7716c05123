import WeirCore

/// One job's part of a partition checkpoint: where it is in its stream's log, its engine's
/// whole window state, and the final partial rows it keeps for queries.
public struct JobCheckpoint: Sendable, Equatable {
    public var name: String
    /// `StableHash` of the job's spec text: a job replaced under the same name must not inherit state.
    public var specDigest: UInt64
    /// The next offset of the job's stream log to process (everything before it is in this state).
    public var nextOffset: UInt64
    /// Events the job refused (bad JSON or bad fields).
    public var rejected: Int64
    /// The latest end of any final window kept.
    public var newestEnd: Int64
    public var engine: EngineSnapshot
    /// Final partial rows in `PartialRowCodec` form: in a delta, those emitted since the previous
    /// checkpoint; in a base, every row still retained.
    public var finals: [UInt8]
    public var finalCount: Int

    public init(name: String, specDigest: UInt64, nextOffset: UInt64, rejected: Int64, newestEnd: Int64,
                engine: EngineSnapshot, finals: [UInt8], finalCount: Int) {
        self.name = name
        self.specDigest = specDigest
        self.nextOffset = nextOffset
        self.rejected = rejected
        self.newestEnd = newestEnd
        self.engine = engine
        self.finals = finals
        self.finalCount = finalCount
    }

    func append(to w: inout WireWriter) {
        w.string(name)
        w.u64(specDigest)
        w.u64(nextOffset)
        w.i64(rejected)
        w.i64(newestEnd)
        EngineSnapshotCodec.append(engine, to: &w)
        w.u32(UInt32(finalCount))
        w.blob(finals)
    }

    static func decode(_ r: inout WireReader) throws(WireError) -> JobCheckpoint {
        let name = try r.string("job name")
        let specDigest = try r.u64("spec digest")
        let nextOffset = try r.u64("next offset")
        let rejected = try r.i64("rejected")
        let newestEnd = try r.i64("newest end")
        let engine = try EngineSnapshotCodec.decode(&r)
        let finalCount = try r.count("final rows")
        let finals = try r.blob("final rows")
        // The final rows are decoded when restored; check now that they are whole rows.
        var rows = WireReader(finals)
        for _ in 0..<finalCount { _ = try PartialRowCodec.decodeRow(&rows) }
        guard rows.isAtEnd else { throw WireError("job \(name): \(finals.count - rows.position) bytes after \(finalCount) final rows") }
        return JobCheckpoint(name: name, specDigest: specDigest, nextOffset: nextOffset, rejected: rejected,
                             newestEnd: newestEnd, engine: engine, finals: finals, finalCount: finalCount)
    }
}
