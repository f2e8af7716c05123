/// The newest window end an earlier `last` answer of a job showed, so the next such query asks
/// the partitions only for windows that can still be in its answer.
///
/// Under ingest the partitions are at different event times, and each one alone would send
/// every window within `last` of its own newest: for a partition behind the others, rows of
/// windows the answer leaves out. Answers' newest end only grows while events arrive, so
/// windows starting before `newestEnd - max(last, longest window)` cannot be in the next
/// answer: none of them can end at or after `newestEnd`, nor start within `last` of it.
///
/// It can go back: a failover restores a partition to its committed checkpoint, and its newest
/// rows return only as it replays. So an answer built from a narrowed ask is used only if
/// `confirms` holds (its newest end is at least `newestEnd`); otherwise the caller asks again
/// without narrowing. With that check, the answer is the one an unnarrowed ask gives.
public struct NewestWindowHint: Sendable, Equatable {
    public let spec: JobSpec
    public let from: Int64
    public let to: Int64
    public let newestEnd: Int64

    /// The hint an answer leaves for later queries with the same range, or nil when it can
    /// leave none (no `last`, a `where` that can empty the newest windows, or no window).
    public init?(spec: JobSpec, query: RollupQuery, answer: RollupAnswer) {
        guard query.lastMilliseconds != nil, query.filters.isEmpty, spec.window.longestMilliseconds != nil,
              let newest = answer.newestWindowEnd else { return nil }
        self.spec = spec
        from = query.from
        to = query.to
        newestEnd = newest
    }

    /// The `from` to ask the partitions with, or nil when this hint does not apply to `query`.
    public func narrowedFrom(_ query: RollupQuery, spec: JobSpec) -> Int64? {
        guard spec == self.spec, query.from == from, query.to == to, query.filters.isEmpty,
              let last = query.lastMilliseconds, let longest = spec.window.longestMilliseconds else { return nil }
        let (cut, overflow) = newestEnd.subtractingReportingOverflow(max(last, longest))
        guard !overflow, cut > from else { return nil }
        return cut
    }

    /// True when an answer built from the narrowed ask is the full answer: its newest window
    /// ends at or after `newestEnd`, so every window that ends at or after it (and so the newest
    /// one) and every window within `last` of it started at or after the narrowed `from`.
    public func confirms(_ answer: RollupAnswer) -> Bool {
        guard let newest = answer.newestWindowEnd else { return false }
        return newest >= newestEnd
    }
}
