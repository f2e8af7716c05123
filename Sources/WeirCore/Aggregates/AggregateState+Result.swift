extension AggregateState {
    /// Appends the output cells of this state (one, or one per quantile) to `out`.
    ///
    /// - Parameter resolve: the value of an interned id.
    public func appendCells(_ function: AggregateFunction, resolve: (UInt32) -> FieldValue, to out: inout [Cell]) {
        switch self {
        case .count(let c): out.append(.integer(c))
        case .sum(let s, let n): out.append(n == 0 ? .null : .decimal(s))
        case .minimum(let m), .maximum(let m): out.append(m.map(Cell.decimal) ?? .null)
        case .average(let s, let n): out.append(n == 0 ? .null : .decimal(s.divided(by: n)))
        case .distinct(let set): out.append(.integer(Int64(set.ids.count)))
        case .approxDistinct(let h): out.append(.integer(h.estimate))
        default: out += multiCells(function, resolve: resolve)
        }
    }

    private func multiCells(_ function: AggregateFunction, resolve: (UInt32) -> FieldValue) -> [Cell] {
        switch self {
        case .count, .sum, .minimum, .maximum, .average, .distinct, .approxDistinct:
            preconditionFailure("single-cell aggregates are handled by appendCells")
        case .sketch(let d):
            guard case .quantiles(_, let qs, _) = function else { preconditionFailure("sketch state for \(function.keyword)") }
            return qs.map { q in d.quantile(q).map(Cell.double) ?? .null }
        case .exact(let list):
            guard case .exactQuantiles(_, let qs) = function else { preconditionFailure("exact state for \(function.keyword)") }
            let sorted = list.values.sorted()
            return qs.map { q in
                sorted.isEmpty ? .null : .decimal(sorted[Int(QuantileRank.rank(q, count: Int64(sorted.count))) - 1])
            }
        case .top(let table):
            guard case .topN(_, let n) = function else { preconditionFailure("top state for \(function.keyword)") }
            let entries = table.counts.map { (value: resolve($0.key), count: $0.value) }
            return [.text(TopNFormat.format(entries, n: n))]
        case .first(let tv), .last(let tv):
            return [tv.map { .value(resolve($0.id)) } ?? .null]
        }
    }
}

/// The text of a top-n answer: `value=count` pairs, most frequent first, ties by value, `;`-separated.
public enum TopNFormat {
    public static func format(_ entries: [(value: FieldValue, count: Int64)], n: Int) -> String {
        let ranked = entries.sorted { a, b in a.count != b.count ? a.count > b.count : a.value < b.value }
        return ranked.prefix(n).map { "\($0.value)=\($0.count)" }.joined(separator: ";")
    }
}
