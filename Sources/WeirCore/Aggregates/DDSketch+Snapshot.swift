/// The plain-value contents of a `DDSketch`, for shipping partial aggregates between processes.
public struct DDSketchSnapshot: Sendable, Equatable {
    public var relativeError: Double
    public var positiveOffset: Int
    public var positiveCounts: [Int64]
    public var negativeOffset: Int
    public var negativeCounts: [Int64]
    public var zeroCount: Int64
    public var count: Int64

    public init(relativeError: Double, positiveOffset: Int, positiveCounts: [Int64], negativeOffset: Int,
                negativeCounts: [Int64], zeroCount: Int64, count: Int64) {
        self.relativeError = relativeError
        self.positiveOffset = positiveOffset
        self.positiveCounts = positiveCounts
        self.negativeOffset = negativeOffset
        self.negativeCounts = negativeCounts
        self.zeroCount = zeroCount
        self.count = count
    }
}

extension DDSketch {
    public var snapshot: DDSketchSnapshot {
        DDSketchSnapshot(relativeError: mapping.relativeError, positiveOffset: positive.offset, positiveCounts: positive.counts,
                         negativeOffset: negative.offset, negativeCounts: negative.counts, zeroCount: zeroCount, count: count)
    }

    /// A sketch with exactly the snapshot's buckets. The counts must add up (checked: a
    /// corrupt snapshot must not produce quantiles silently).
    public convenience init?(snapshot s: DDSketchSnapshot) {
        guard s.relativeError > 0, s.relativeError < 1,
              s.count == s.zeroCount + s.positiveCounts.reduce(0, +) + s.negativeCounts.reduce(0, +),
              !s.positiveCounts.contains(where: { $0 < 0 }), !s.negativeCounts.contains(where: { $0 < 0 })
        else { return nil }
        self.init(relativeError: s.relativeError)
        positive = DenseCounts(offset: s.positiveOffset, counts: s.positiveCounts)
        negative = DenseCounts(offset: s.negativeOffset, counts: s.negativeCounts)
        zeroCount = s.zeroCount
        setCount(s.count)
    }
}
