/// An aggregate's partial state with interned ids replaced by values, so that partials from
/// different engines (partitions, processes) can be shipped and merged exactly.
///
/// Made from an `AggregateState` with `AggregateState.portable(resolve:)` and turned back into
/// one against another engine's value table with `state(intern:)`; the merge itself is always
/// `AggregateState.merge`, so a cluster merges exactly as one engine does.
///
/// The values of `distinct` and `top` are in no particular order: every consumer interns them
/// into a set or table, and sorting thousands of strings on every checkpoint and query was the
/// largest single cost of a checkpoint. Equality ignores their order.
public enum PortableAggregate: Sendable, Equatable {
    case count(Int64)
    case sum(Decimal9, values: Int64)
    case minimum(Decimal9?)
    case maximum(Decimal9?)
    case average(Decimal9, values: Int64)
    /// The distinct values (any order).
    case distinct([FieldValue])
    case approxDistinct(precision: Int, registers: [UInt8])
    case sketch(DDSketchSnapshot)
    case exact([Decimal9])
    /// Value counts (any order; a value appears once).
    case top([FieldValue], counts: [Int64])
    case first(TimedFieldValue?)
    case last(TimedFieldValue?)
}

/// A value with its event time (first/last).
public struct TimedFieldValue: Sendable, Equatable {
    public var time: Int64
    public var value: FieldValue
    public init(time: Int64, value: FieldValue) { self.time = time; self.value = value }
}

extension AggregateState {
    /// This state with every id resolved to its value (canonically ordered where order is free).
    public func portable(resolve: (UInt32) -> FieldValue) -> PortableAggregate {
        switch self {
        case .count(let c): return .count(c)
        case .sum(let s, let n): return .sum(s, values: n)
        case .minimum(let m): return .minimum(m)
        case .maximum(let m): return .maximum(m)
        case .average(let s, let n): return .average(s, values: n)
        case .distinct(let set): return .distinct(set.ids.map(resolve))
        case .approxDistinct(let h): return .approxDistinct(precision: h.precision, registers: h.registers)
        case .sketch(let d): return .sketch(d.snapshot)
        case .exact(let list): return .exact(list.values)
        case .top(let table):
            var values: [FieldValue] = [], counts: [Int64] = []
            values.reserveCapacity(table.counts.count)
            counts.reserveCapacity(table.counts.count)
            for (id, count) in table.counts {
                values.append(resolve(id))
                counts.append(count)
            }
            return .top(values, counts: counts)
        case .first(let tv): return .first(tv.map { TimedFieldValue(time: $0.time, value: resolve($0.id)) })
        case .last(let tv): return .last(tv.map { TimedFieldValue(time: $0.time, value: resolve($0.id)) })
        }
    }
}

extension PortableAggregate {
    /// The equivalent state of a kind that holds no values (count, sum, min, max, avg), which
    /// needs no interning; nil for the other kinds. A merge of these needs no value order either.
    public var plainState: AggregateState? {
        switch self {
        case .count(let c): return .count(c)
        case .sum(let s, let n): return .sum(s, values: n)
        case .minimum(let m): return .minimum(m)
        case .maximum(let m): return .maximum(m)
        case .average(let s, let n): return .average(s, values: n)
        case .distinct, .approxDistinct, .sketch, .exact, .top, .first, .last: return nil
        }
    }

    /// The equivalent state whose values are interned by `intern`; nil when the partial is
    /// inconsistent (a corrupt sketch, mismatched lengths).
    public func state(intern: (FieldValue) -> UInt32) -> AggregateState? {
        switch self {
        case .count, .sum, .minimum, .maximum, .average: return plainState
        case .distinct(let values): return .distinct(DistinctSet(Set(values.map(intern))))
        case .approxDistinct(let p, let registers):
            guard (4...16).contains(p), registers.count == 1 << p else { return nil }
            return .approxDistinct(HyperLogLog(precision: p, registers: registers))
        case .sketch(let snapshot): return DDSketch(snapshot: snapshot).map { .sketch($0) }
        case .exact(let values): return .exact(ValueList(values))
        case .top(let values, let counts):
            guard values.count == counts.count else { return nil }
            var table: [UInt32: Int64] = [:]
            table.reserveCapacity(values.count)
            for (v, c) in zip(values, counts) { table[intern(v), default: 0] += c }
            return .top(FrequencyTable(table))
        case .first(let tv): return .first(tv.map { TimedValue(time: $0.time, id: intern($0.value)) })
        case .last(let tv): return .last(tv.map { TimedValue(time: $0.time, id: intern($0.value)) })
        }
    }
}

extension PortableAggregate {
    /// Equal states: the same kind and contents, where `distinct` and `top` compare as sets
    /// (their order carries no meaning).
    public static func == (lhs: PortableAggregate, rhs: PortableAggregate) -> Bool {
        switch (lhs, rhs) {
        case let (.count(a), .count(b)): return a == b
        case let (.sum(a, n), .sum(b, m)): return a == b && n == m
        case let (.minimum(a), .minimum(b)): return a == b
        case let (.maximum(a), .maximum(b)): return a == b
        case let (.average(a, n), .average(b, m)): return a == b && n == m
        case let (.distinct(a), .distinct(b)): return a.count == b.count && Set(a) == Set(b)
        case let (.approxDistinct(p, r), .approxDistinct(q, s)): return p == q && r == s
        case let (.sketch(a), .sketch(b)): return a == b
        case let (.exact(a), .exact(b)): return a == b
        case let (.top(a, n), .top(b, m)):
            return a.count == b.count && n.count == m.count
                && Dictionary(zip(a, n), uniquingKeysWith: +) == Dictionary(zip(b, m), uniquingKeysWith: +)
        case let (.first(a), .first(b)): return a == b
        case let (.last(a), .last(b)): return a == b
        default: return false
        }
    }
}

/// Mergeable partial aggregates of one (window, group), as one partition's engine holds them.
public struct PartialRow: Sendable, Equatable {
    public var window: Window
    public var group: [FieldValue]
    /// One per aggregate of the job, in spec order.
    public var states: [PortableAggregate]
    /// True when the window was final in the partition that produced this partial.
    public var isFinal: Bool

    public init(window: Window, group: [FieldValue], states: [PortableAggregate], isFinal: Bool) {
        self.window = window
        self.group = group
        self.states = states
        self.isFinal = isFinal
    }
}
