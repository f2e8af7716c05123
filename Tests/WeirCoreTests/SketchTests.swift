import Testing
@testable import WeirCore

@Suite struct SketchTests {
    @Test func hyperLogLogEstimatesWithinFiveStandardErrors() {
        for (seed, n) in [(1, 10), (2, 1_000), (3, 50_000), (4, 200_000)] {
            let hll = HyperLogLog(precision: 12)
            for i in 0..<n {
                hll.add(hash: StableHash.hash(ValueEncoding.encode(.string("user-\(seed)-\(i)"))))
            }
            let error = abs(Double(hll.estimate - Int64(n))) / Double(n)
            #expect(error <= 5 * HyperLogLog.standardError(precision: 12) + 1.0 / Double(n), "n \(n) estimate \(hll.estimate)")
        }
    }

    @Test func hyperLogLogMergeIsOrderIndependent() {
        var rng = SeededGenerator(seed: 9)
        let parts = (0..<5).map { _ in HyperLogLog(precision: 10) }
        for i in 0..<20_000 { parts[rng.below(5)].add(hash: StableHash.hash(ValueEncoding.encode(.number(Decimal9(integer: Int64(i % 7000)))))) }
        let a = parts[0].copy(); for p in parts.dropFirst() { a.merge(p) }
        let b = parts[4].copy(); for p in parts.dropLast().reversed() { b.merge(p) }
        #expect(a.registers == b.registers)
        #expect(a.estimate == b.estimate)
    }

    @Test func ddSketchQuantilesAreWithinTheRelativeError() {
        var rng = SeededGenerator(seed: 5)
        let alpha = 0.01
        let sketch = DDSketch(relativeError: alpha)
        var values: [Double] = []
        for _ in 0..<20_000 {
            let v = (rng.below(10) == 0 ? -1 : 1) * exp(4 + 2 * rng.normal())
            values.append(v)
            sketch.add(v)
        }
        sketch.add(0); values.append(0)
        let sorted = values.sorted()
        for q in [0.0, 0.01, 0.25, 0.5, 0.9, 0.99, 0.999, 1.0] {
            let exact = sorted[Int(QuantileRank.rank(q, count: Int64(sorted.count))) - 1]
            let got = sketch.quantile(q)!
            #expect(abs(got - exact) <= alpha * abs(exact) + 1e-12, "q \(q): \(got) vs \(exact)")
        }
    }

    @Test func ddSketchMergeIsOrderIndependent() {
        var rng = SeededGenerator(seed: 6)
        let parts = (0..<4).map { _ in DDSketch(relativeError: 0.02) }
        for _ in 0..<10_000 { parts[rng.below(4)].add(Double(rng.below(5000)) - 100) }
        let a = parts[0].copy(); for p in parts.dropFirst() { a.merge(p) }
        let b = parts[3].copy(); for p in parts.dropLast().reversed() { b.merge(p) }
        for q in stride(from: 0.0, through: 1.0, by: 0.05) { #expect(a.quantile(q) == b.quantile(q)) }
        #expect(a.count == 10_000)
    }

    @Test func quantileRankIsNearestRank() {
        #expect(QuantileRank.rank(0.5, count: 4) == 2)
        #expect(QuantileRank.rank(0.5, count: 3) == 2)
        #expect(QuantileRank.rank(0, count: 3) == 1)
        #expect(QuantileRank.rank(1, count: 3) == 3)
        #expect(QuantileRank.rank(0.7, count: 10) == 7)
    }
}

import Foundation
