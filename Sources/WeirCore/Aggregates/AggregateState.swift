/// The partial state of one aggregate for one (window or pane, group).
///
/// Every case is a commutative monoid: `merge` is associative and commutative and the initial
/// state is its identity, so partials from panes, threads or partitions combine exactly. Value
/// ids refer to the owning engine's `ByteInterner`.
public enum AggregateState {
    case count(Int64)
    case sum(Decimal9, values: Int64)
    case minimum(Decimal9?)
    case maximum(Decimal9?)
    case average(Decimal9, values: Int64)
    case distinct(DistinctSet)
    case approxDistinct(HyperLogLog)
    case sketch(DDSketch)
    case exact(ValueList)
    case top(FrequencyTable)
    case first(TimedValue?)
    case last(TimedValue?)

    /// The identity state for a function.
    public static func initial(_ function: AggregateFunction) -> AggregateState {
        switch function {
        case .count: return .count(0)
        case .sum: return .sum(.zero, values: 0)
        case .min: return .minimum(nil)
        case .max: return .maximum(nil)
        case .avg: return .average(.zero, values: 0)
        case .countDistinct: return .distinct(DistinctSet())
        case .approxDistinct(_, let p): return .approxDistinct(HyperLogLog(precision: p))
        case .quantiles(_, _, let e): return .sketch(DDSketch(relativeError: e))
        case .exactQuantiles: return .exact(ValueList())
        case .topN: return .top(FrequencyTable())
        case .first: return .first(nil)
        case .last: return .last(nil)
        }
    }

    /// A deep copy (reference payloads are duplicated).
    public func copy() -> AggregateState {
        switch self {
        case .distinct(let s): return .distinct(s.copy())
        case .approxDistinct(let h): return .approxDistinct(h.copy())
        case .sketch(let d): return .sketch(d.copy())
        case .exact(let v): return .exact(v.copy())
        case .top(let f): return .top(f.copy())
        default: return self
        }
    }

    /// Adds a number (sum, min, max, avg, quantiles). Magnitudes are bounded by the engine
    /// (`EngineLimits.numberMagnitudeMax`), so a sum overflows only after ~10^11 maximal values.
    @inline(__always)
    public mutating func add(number v: Decimal9) {
        switch self {
        case .sum(let s, let n):
            guard let r = s.adding(v) else { preconditionFailure("sum overflowed Int128 after \(n) values") }
            self = .sum(r, values: n + 1)
        case .average(let s, let n):
            guard let r = s.adding(v) else { preconditionFailure("avg overflowed Int128 after \(n) values") }
            self = .average(r, values: n + 1)
        case .minimum(let m): if m.map({ v < $0 }) ?? true { self = .minimum(v) }
        case .maximum(let m): if m.map({ $0 < v }) ?? true { self = .maximum(v) }
        case .sketch(let d): d.add(v.doubleValue)
        case .exact(let list): list.values.append(v)
        default: preconditionFailure("add(number:) on a non-numeric aggregate")
        }
    }

    /// Adds a value given by its interned id (and time, for first/last) or its hash (approx distinct).
    @inline(__always)
    public mutating func add(id: UInt32, hash: UInt64, time: Int64, order: (UInt32, UInt32) -> Bool) {
        switch self {
        case .count(let c): self = .count(c + 1)
        case .distinct(let s): s.ids.insert(id)
        case .approxDistinct(let h): h.add(hash: hash)
        case .top(let f): f.counts[id, default: 0] += 1
        case .first(let cur):
            let new = TimedValue(time: time, id: id)
            if let cur, !AggregateState.isEarlier(new, cur, order) { return }
            self = .first(new)
        case .last(let cur):
            let new = TimedValue(time: time, id: id)
            if let cur, !AggregateState.isEarlier(cur, new, order) { return }
            self = .last(new)
        default: preconditionFailure("add(id:) on a numeric aggregate")
        }
    }

    /// Counts one event (count without a field).
    @inline(__always)
    public mutating func addEvent() {
        guard case .count(let c) = self else { preconditionFailure("addEvent on a non-count aggregate") }
        self = .count(c + 1)
    }

    /// `(time, value)` order; `order(a, b)` is the canonical value order of two ids.
    static func isEarlier(_ a: TimedValue, _ b: TimedValue, _ order: (UInt32, UInt32) -> Bool) -> Bool {
        if a.time != b.time { return a.time < b.time }
        return a.id != b.id && order(a.id, b.id)
    }

    /// Folds `other` into `self`. Both must come from the same function and interner.
    public mutating func merge(_ other: AggregateState, order: (UInt32, UInt32) -> Bool) {
        switch (self, other) {
        case let (.count(a), .count(b)): self = .count(a + b)
        case let (.sum(a, n), .sum(b, m)), let (.average(a, n), .average(b, m)):
            guard let r = a.adding(b) else { preconditionFailure("sum overflowed Int128 in merge") }
            if case .sum = self { self = .sum(r, values: n + m) } else { self = .average(r, values: n + m) }
        case let (.minimum(a), .minimum(b)):
            if let b, a.map({ b < $0 }) ?? true { self = .minimum(b) }
        case let (.maximum(a), .maximum(b)):
            if let b, a.map({ $0 < b }) ?? true { self = .maximum(b) }
        case let (.distinct(a), .distinct(b)): a.ids.formUnion(b.ids)
        case let (.approxDistinct(a), .approxDistinct(b)): a.merge(b)
        case let (.sketch(a), .sketch(b)): a.merge(b)
        case let (.exact(a), .exact(b)): a.values.append(contentsOf: b.values)
        case let (.top(a), .top(b)): a.counts.merge(b.counts, uniquingKeysWith: +)
        case let (.first(a), .first(b)):
            if let b, a.map({ AggregateState.isEarlier(b, $0, order) }) ?? true { self = .first(b) }
        case let (.last(a), .last(b)):
            if let b, a.map({ AggregateState.isEarlier($0, b, order) }) ?? true { self = .last(b) }
        default: preconditionFailure("merge of different aggregate kinds")
        }
    }
}
