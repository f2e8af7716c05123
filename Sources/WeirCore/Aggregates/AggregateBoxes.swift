/// Reference-type payloads of `AggregateState`, mutated in place (no copy-on-write per event).

/// Exact set of distinct value ids.
public final class DistinctSet {
    public var ids: Set<UInt32>
    public init(_ ids: Set<UInt32> = []) { self.ids = ids }
    public func copy() -> DistinctSet { DistinctSet(ids) }
}

/// Exact count per value id.
public final class FrequencyTable {
    public var counts: [UInt32: Int64]
    public init(_ counts: [UInt32: Int64] = [:]) { self.counts = counts }
    public func copy() -> FrequencyTable { FrequencyTable(counts) }
}

/// Every value, for exact quantiles.
public final class ValueList {
    public var values: [Decimal9]
    public init(_ values: [Decimal9] = []) { self.values = values }
    public func copy() -> ValueList { ValueList(values) }
}

/// A value id with its event time, for first/last.
public struct TimedValue: Sendable, Equatable {
    public var time: Int64
    public var id: UInt32
    public init(time: Int64, id: UInt32) { self.time = time; self.id = id }
}
