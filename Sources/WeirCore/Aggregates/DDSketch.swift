import Foundation

/// A DDSketch quantile sketch (Masson, Rim, Lee, VLDB 2019) with logarithmic buckets.
///
/// Every quantile it answers is within `relativeError` of the true value at that rank, for any
/// input distribution. Buckets are integer counters, so merging in any order gives identical
/// sketches. Values with magnitude below 1e-9 (the `Decimal9` resolution) count as zero.
public final class DDSketch {
    public let mapping: DDSketchMapping
    var positive: DenseCounts
    var negative: DenseCounts
    var zeroCount: Int64
    public private(set) var count: Int64

    public init(relativeError: Double) {
        mapping = DDSketchMapping(relativeError: relativeError)
        positive = DenseCounts()
        negative = DenseCounts()
        zeroCount = 0
        count = 0
    }

    init(copying other: DDSketch) {
        mapping = other.mapping
        positive = other.positive
        negative = other.negative
        zeroCount = other.zeroCount
        count = other.count
    }

    public func copy() -> DDSketch { DDSketch(copying: self) }

    func setCount(_ n: Int64) { count = n }

    public func add(_ value: Double) {
        count += 1
        if value >= DDSketchMapping.minIndexable {
            positive.increment(mapping.index(of: value))
        } else if value <= -DDSketchMapping.minIndexable {
            negative.increment(mapping.index(of: -value))
        } else {
            zeroCount += 1
        }
    }

    public func merge(_ other: DDSketch) {
        precondition(other.mapping == mapping, "cannot merge DDSketches of different accuracy")
        positive.merge(other.positive)
        negative.merge(other.negative)
        zeroCount += other.zeroCount
        count += other.count
    }

    /// The value at rank `QuantileRank.rank(q, count)`, within the relative error; nil when empty.
    public func quantile(_ q: Double) -> Double? {
        guard count > 0 else { return nil }
        let rank = QuantileRank.rank(q, count: count)
        var seen: Int64 = 0
        // Most negative first: highest negative index downwards.
        if let found = negative.find(rank: rank, seen: &seen, descending: true) {
            return -mapping.value(at: found)
        }
        seen += zeroCount
        if seen >= rank { return 0 }
        if let found = positive.find(rank: rank, seen: &seen, descending: false) {
            return mapping.value(at: found)
        }
        preconditionFailure("DDSketch rank \(rank) beyond count \(count)")
    }
}

/// The value ↔ bucket index mapping of a DDSketch: index = ⌈log_γ(v)⌉, γ = (1+α)/(1−α).
public struct DDSketchMapping: Sendable, Equatable {
    public static let minIndexable = 1e-9
    public let relativeError: Double
    public let gamma: Double
    let logGamma: Double

    public init(relativeError: Double) {
        precondition(relativeError > 0 && relativeError < 1, "relative error must be in (0, 1)")
        self.relativeError = relativeError
        gamma = (1 + relativeError) / (1 - relativeError)
        logGamma = log(gamma)
    }

    public func index(of value: Double) -> Int { Int((log(value) / logGamma).rounded(.up)) }

    /// The bucket's representative, within the relative error of every value in the bucket.
    public func value(at index: Int) -> Double { 2 * pow(gamma, Double(index)) / (gamma + 1) }
}

/// Counters for a contiguous range of bucket indices, grown on demand.
struct DenseCounts {
    var offset = 0
    var counts: [Int64] = []

    mutating func increment(_ index: Int, by n: Int64 = 1) {
        if counts.isEmpty {
            offset = index
            counts = [0]
        } else if index < offset {
            counts.insert(contentsOf: repeatElement(0, count: offset - index), at: 0)
            offset = index
        } else if index >= offset + counts.count {
            counts.append(contentsOf: repeatElement(0, count: index - offset - counts.count + 1))
        }
        counts[index - offset] += n
    }

    mutating func merge(_ other: DenseCounts) {
        for (i, c) in other.counts.enumerated() where c != 0 { increment(other.offset + i, by: c) }
    }

    /// The bucket index where the running count reaches `rank`, walking up or down.
    func find(rank: Int64, seen: inout Int64, descending: Bool) -> Int? {
        let order: [Int] = descending ? Array(counts.indices.reversed()) : Array(counts.indices)
        for i in order {
            seen += counts[i]
            if seen >= rank { return offset + i }
        }
        return nil
    }
}

/// The rank definition shared by every quantile Weir computes: the ⌈q·n⌉-th smallest value
/// (1-based, at least 1), so q = 0.5 of [1, 2, 3, 4] is 2 and q = 1 is the maximum.
public enum QuantileRank {
    public static func rank(_ q: Double, count: Int64) -> Int64 {
        let r = Int64((q * Double(count) - 1e-9).rounded(.up))
        return Swift.max(1, Swift.min(count, r))
    }
}
