/// An aggregate's partial state with interned ids replaced by values, so that partials from
/// different engines (partitions, processes) can be shipped and merged exactly.
///
/// Made from an `AggregateState` with `AggregateState.portable(resolve:)` and turned back into
/// one against another engine's value table with `state(intern:)`; the merge itself is always
/// `AggregateState.merge`, so a cluster merges exactly as one engine does.
public enum PortableAggregate: Sendable, Equatable {
    case count(Int64)
    case sum(Decimal9, values: Int64)
    case minimum(Decimal9?)
    case maximum(Decimal9?)
    case average(Decimal9, values: Int64)
    /// The distinct values, in canonical order.
    case distinct([FieldValue])
    case approxDistinct(precision: Int, registers: [UInt8])
    case sketch(DDSketchSnapshot)
    case exact([Decimal9])
    /// Value counts, in canonical value order.
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
        case .distinct(let set): return .distinct(set.ids.map(resolve).sorted())
        case .approxDistinct(let h): return .approxDistinct(precision: h.precision, registers: h.registers)
        case .sketch(let d): return .sketch(d.snapshot)
        case .exact(let list): return .exact(list.values)
        case .top(let table):
            let entries = table.counts.map { (value: resolve($0.key), count: $0.value) }.sorted { $0.value < $1.value }
            return .top(entries.map(\.value), counts: entries.map(\.count))
        case .first(let tv): return .first(tv.map { TimedFieldValue(time: $0.time, value: resolve($0.id)) })
        case .last(let tv): return .last(tv.map { TimedFieldValue(time: $0.time, value: resolve($0.id)) })
        }
    }
}

extension PortableAggregate {
    /// The equivalent state whose values are interned by `intern`; nil when the partial is
    /// inconsistent (a corrupt sketch, mismatched lengths).
    public func state(intern: (FieldValue) -> UInt32) -> AggregateState? {
        switch self {
        case .count(let c): return .count(c)
        case .sum(let s, let n): return .sum(s, values: n)
        case .minimum(let m): return .minimum(m)
        case .maximum(let m): return .maximum(m)
        case .average(let s, let n): return .average(s, values: n)
        case .distinct(let values): return .distinct(DistinctSet(Set(values.map(intern))))
        case .approxDistinct(let p, let registers):
            guard (4...16).contains(p), registers.count == 1 << p else { return nil }
            return .approxDistinct(HyperLogLog(precision: p, registers: registers))
        case .sketch(let snapshot): return DDSketch(snapshot: snapshot).map { .sketch($0) }
        case .exact(let values): return .exact(ValueList(values))
        case .top(let values, let counts):
            guard values.count == counts.count else { return nil }
            var table: [UInt32: Int64] = [:]
            for (v, c) in zip(values, counts) { table[intern(v), default: 0] += c }
            return .top(FrequencyTable(table))
        case .first(let tv): return .first(tv.map { TimedValue(time: $0.time, id: intern($0.value)) })
        case .last(let tv): return .last(tv.map { TimedValue(time: $0.time, id: intern($0.value)) })
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
