/// What a rollup query asks each partition for: its rows of windows starting in `[from, to)`,
/// and with `last > 0` only those within `last` of the partition's own newest window there.
///
/// A partition cannot know the answer's newest window, only its own, so the first ask is a
/// guess that is checked against the answer it gives (`again`): the coordinator asks at most
/// once more, wider, when the answer shows the guess left something out.
public struct PartitionAsk: Sendable, Equatable {
    public var from: Int64
    public var last: Int64

    public init(from: Int64, last: Int64) {
        self.from = from
        self.last = last
    }

    /// The first ask: the query's range, narrowed by `hint` when it applies.
    public static func first(_ query: RollupQuery, spec: JobSpec, hint: NewestWindowHint?) -> PartitionAsk {
        PartitionAsk(from: hint?.narrowedFrom(query, spec: spec) ?? query.from, last: query.lastMilliseconds ?? 0)
    }

    /// The wider ask to make when the answer `asked` gave is not the query's full answer, or nil
    /// when it is.
    /// - A narrowed ask (`from` past the query's) whose answer does not reach the hint's newest
    ///   end: the newest windows went back (a partition restored from its checkpoint); ask the
    ///   query's own range.
    /// - `last` with `where`: a partition measured `last` from its own newest window, which the
    ///   filter may leave out of the answer, so it may have left out rows of the windows the
    ///   answer shows. The answer is whole only if every report is complete (`coveredFrom`)
    ///   back to where its newest window reaches (`last`, or the longest window, which every
    ///   window ending after it starts within); otherwise ask from there with no `last`.
    public static func again(after asked: PartitionAsk, query: RollupQuery, spec: JobSpec, hint: NewestWindowHint?,
                             answer: RollupAnswer, reports: [PartitionReport]) -> PartitionAsk? {
        if asked.from > query.from, let hint, !hint.confirms(answer) {
            return PartitionAsk(from: query.from, last: query.lastMilliseconds ?? 0)
        }
        guard asked.last > 0, !query.filters.isEmpty else { return nil }
        guard let longest = spec.window.longestMilliseconds, let newest = answer.newestWindowEnd else {
            return PartitionAsk(from: query.from, last: 0)  // sessions have no bound; nothing shown may be older
        }
        let (reach, overflow) = newest.subtractingReportingOverflow(max(asked.last, longest))
        guard !overflow else { return PartitionAsk(from: query.from, last: 0) }
        if reports.allSatisfy({ $0.coveredFrom <= reach }) { return nil }
        return PartitionAsk(from: max(query.from, reach), last: 0)
    }
}
