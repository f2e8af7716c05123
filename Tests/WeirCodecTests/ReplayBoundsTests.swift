import Testing
import WeirCodec
import WeirCore

/// When older state may stand in for a committed checkpoint no replica ships: every job must
/// resume at or after where its stream's log starts now.
@Suite struct ReplayBoundsTests {
    func checkpoint(_ name: String, digest: UInt64 = 1, at offset: UInt64) -> JobCheckpoint {
        JobCheckpoint(name: name, specDigest: digest, nextOffset: offset, rejected: 0, newestEnd: 0,
                      engine: EngineSnapshot(watermark: 0, maxEventTime: 0, stats: EngineStats(), lateLedger: LateLedger(counts: [:]), cells: []),
                      finals: [])
    }

    let jobs = [ReplayBounds.Job(name: "a", specDigest: 1, stream: "clicks"), ReplayBounds.Job(name: "b", specDigest: 1, stream: "clicks"),
                ReplayBounds.Job(name: "c", specDigest: 1, stream: "orders")]

    func bounds(clicksStart: UInt64, ordersStart: UInt64 = 0) -> ReplayBounds {
        ReplayBounds(logStarts: [StreamOffset(stream: "clicks", offset: clicksStart), StreamOffset(stream: "orders", offset: ordersStart)],
                     committed: [StreamOffset(stream: "clicks", offset: 1_000), StreamOffset(stream: "orders", offset: 50)])
    }

    @Test func olderStateCountsTheEventsToProcessAgainPerStreamFromItsSlowestJob() {
        let state = [checkpoint("a", at: 900), checkpoint("b", at: 700), checkpoint("c", at: 40)]
        #expect(bounds(clicksStart: 0).replayDistance(from: state, serving: jobs) == 300 + 10)
        #expect(bounds(clicksStart: 700).replayDistance(from: state, serving: jobs) == 310, "the log starts exactly where it resumes")
        #expect(bounds(clicksStart: 701).replayDistance(from: state, serving: jobs) == nil, "job b would miss offset 700")
    }

    @Test func noStateServesOnlyWhileEveryLogIsComplete() {
        #expect(bounds(clicksStart: 0).replayDistance(from: [], serving: jobs) == 1_050)
        #expect(bounds(clicksStart: 0, ordersStart: 1).replayDistance(from: [], serving: jobs) == nil)
    }

    @Test func aJobMissingOrUnderAnotherSpecStartsFromOffsetZero() {
        let changed = [checkpoint("a", at: 900), checkpoint("b", digest: 2, at: 900), checkpoint("c", at: 50)]
        #expect(bounds(clicksStart: 0).replayDistance(from: changed, serving: jobs) == 1_000)
        #expect(bounds(clicksStart: 10).replayDistance(from: changed, serving: jobs) == nil)
        let missing = [checkpoint("a", at: 900), checkpoint("b", at: 900)]
        #expect(bounds(clicksStart: 0).replayDistance(from: missing, serving: jobs) == 100 + 50)
    }

    @Test func withoutKnownLogStartsNothingIsSafe() {
        #expect(ReplayBounds.none.replayDistance(from: [checkpoint("a", at: 5)], serving: jobs) == nil)
        #expect(ReplayBounds.none.replayDistance(from: [], serving: []) == 0)
    }
}
