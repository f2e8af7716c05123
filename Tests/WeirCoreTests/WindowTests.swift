import Testing
@testable import WeirCore

@Suite struct WindowTests {
    /// Brute force: every window [k·slide, k·slide + size) containing t.
    func bruteForce(_ t: Int64, size: Int64, slide: Int64) -> [Window] {
        var result: [Window] = []
        var k = floorDiv(t - size, slide) - 2
        while k * slide <= t + slide {
            let w = Window(start: k * slide, end: k * slide + size)
            if w.contains(t) { result.append(w) }
            k += 1
        }
        return result.sorted { $0.end < $1.end }
    }

    func windows(_ spec: WindowSpec, _ t: Int64) -> [Window] {
        var out: [Window] = []
        AlignedWindows(spec)?.forEachWindow(containing: t) { out.append($0) }
        return out
    }

    @Test func floorDivisionRoundsDown() {
        #expect(floorDiv(-1, 10) == -1)
        #expect(floorDiv(-10, 10) == -1)
        #expect(floorDiv(-11, 10) == -2)
        #expect(floorDiv(9, 10) == 0)
    }

    @Test func hoppingAndTumblingMatchBruteForce() {
        var rng = SeededGenerator(seed: 3)
        for _ in 0..<2000 {
            let slide = Int64(1 + rng.below(50))
            let size = slide * Int64(1 + rng.below(5)) + (rng.below(3) == 0 ? Int64(rng.below(Int(slide))) : 0)
            let t = Int64(rng.below(10_000)) - 5_000
            let spec: WindowSpec = size == slide ? .tumbling(sizeMilliseconds: size) : .hopping(sizeMilliseconds: size, slideMilliseconds: slide)
            let got = windows(spec, t)
            #expect(got == bruteForce(t, size: size, slide: slide), "size \(size) slide \(slide) t \(t)")
            let aligned = AlignedWindows(spec)!
            #expect(aligned.firstEnd(containing: t) == got.first?.end)
            #expect(aligned.lastEnd(containing: t) == got.last?.end)
            // Every window is a union of whole panes.
            for w in got { #expect((w.end - w.start) % aligned.paneSize == 0 && w.start % aligned.paneSize == 0) }
        }
    }

    @Test func cumulateWindowsGrowFromTheirBase() {
        let got = windows(.cumulate(stepMilliseconds: 10, maxSizeMilliseconds: 40), 25)
        #expect(got == [Window(start: 0, end: 30), Window(start: 0, end: 40)])
        let negative = windows(.cumulate(stepMilliseconds: 10, maxSizeMilliseconds: 40), -5)
        #expect(negative == [Window(start: -40, end: 0)])
    }
}
