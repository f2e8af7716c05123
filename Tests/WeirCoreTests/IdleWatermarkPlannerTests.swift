import Testing
@testable import WeirCore

@Suite struct IdleWatermarkPlannerTests {
    typealias S = IdleWatermarkPlanner.PartitionState

    @Test func idleCaughtUpPartitionsMoveToTheLowestActiveWatermark() {
        var planner = IdleWatermarkPlanner()
        let states = [S(partition: 0, idle: false, caughtUp: true, watermark: 50_000),
                      S(partition: 1, idle: false, caughtUp: false, watermark: 40_000),
                      S(partition: 2, idle: true, caughtUp: true, watermark: 3_000),
                      S(partition: 3, idle: true, caughtUp: false, watermark: 3_000),  // still has events to process
                      S(partition: 4, idle: true, caughtUp: true, watermark: .min),   // never had an event
                      S(partition: 5, idle: true, caughtUp: true, watermark: 60_000)] // already ahead
        let plan = planner.plan(job: "j", partitions: states)
        #expect(plan.map(\.partition) == [2, 4] && plan.allSatisfy { $0.to == 40_000 })
        // Not again until the record took effect and the target moved a step.
        #expect(planner.plan(job: "j", partitions: states).isEmpty)
        var moved = states
        moved[2].watermark = 40_000; moved[4].watermark = 40_000
        moved[1].watermark = 40_500
        #expect(planner.plan(job: "j", partitions: moved).isEmpty)
        moved[1].watermark = 41_000
        #expect(planner.plan(job: "j", partitions: moved).map(\.partition) == [2, 4])
    }

    @Test func nothingMovesWhenAllAreIdleOrAnOwnerDidNotAnswer() {
        var planner = IdleWatermarkPlanner()
        #expect(planner.plan(job: "j", partitions: [S(partition: 0, idle: true, caughtUp: true, watermark: 9),
                                                    S(partition: 1, idle: true, caughtUp: true, watermark: 1)]).isEmpty)
        #expect(planner.plan(job: "j", partitions: [S(partition: 0, idle: false, caughtUp: true, watermark: 9),
                                                    S(partition: 1, idle: true, caughtUp: true, watermark: 1),
                                                    S(partition: 2, idle: false, caughtUp: true, watermark: nil)]).isEmpty)
    }

    @Test func controlRecordsRoundTripAndUnknownOnesAreSkipped() {
        let line = LogControlRecord.watermark(job: "clicks-per-page", to: 1_767_225_630_000).line
        #expect(line.last == 10 && line.first == LogControlRecord.marker)
        let parsed = Array(line.dropLast()).withUnsafeBytes { LogControlRecord.parse($0) }
        #expect(parsed == .watermark(job: "clicks-per-page", to: 1_767_225_630_000))
        for bad in ["#watermark", "#watermark x job", "#future 1 2", "#watermark 5 "] {
            #expect(Array(bad.utf8).withUnsafeBytes { LogControlRecord.parse($0) } == nil, "\(bad)")
        }
    }
}
