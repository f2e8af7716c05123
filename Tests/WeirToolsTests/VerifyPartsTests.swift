import Testing
import WeirCore
@testable import WeirTools

/// `weir verify`'s parts, called directly: the chaos plan it parses, the comparison its report
/// rests on, and the replay pace.
@Suite struct VerifyPartsTests {
    @Test func aChaosPlanNamesEachKindOfFaultAndRefusesUnknownOnes() throws {
        let plan = try ChaosPlan.parse("kill=2s,pause=7s,pause-for=3s,churn=5s,kill-coordinator=10s")
        #expect(plan.killEvery == 2_000 && plan.pauseEvery == 7_000 && plan.pauseFor == 3_000 && plan.churnEvery == 5_000)
        let coordinatorOnly = try ChaosPlan.parse("kill-coordinator=3s")
        #expect(plan.killCoordinatorEvery == 10_000 && !coordinatorOnly.isEmpty)
        #expect(!plan.isEmpty && ChaosPlan.none.isEmpty)
        #expect(throws: ToolError.self) { try ChaosPlan.parse("explode=1s") }
        do {
            _ = try ChaosPlan.parse("kill=soon")
            Issue.record("a duration that is not one was accepted")
        } catch let error as ToolError {
            #expect(error.message.contains("\"kill=soon\" is not key=duration"), "\(error.message)")
            #expect(error.origin == .user)
        }
    }

    static let reference = """
        window_start,window_end,page,views
        0,10000,/a,3
        0,10000,/b,1
        10000,20000,/a,2
        """

    @Test func theComparisonPassesOnlyOnEqualRowsAndEqualEventCounts() {
        let same = VerifyReport.compare(job: "j", reference: Self.reference, cluster: Self.reference, referenceAccepted: 6, clusterAccepted: 6)
        #expect(same.passed && same.rowsCompared == 3 && same.windowsCompared == 2)

        let counted = Self.reference.replacingOccurrences(of: "/a,2", with: "/a,3")
        let twice = VerifyReport.compare(job: "j", reference: Self.reference, cluster: counted, referenceAccepted: 6, clusterAccepted: 7)
        #expect(!twice.passed)
        #expect(twice.missing == ["10000,20000,/a,2"] && twice.extra == ["10000,20000,/a,3"])
        #expect(twice.eventsDuplicated == 1 && twice.eventsLost == 0)

        let lostRow = Self.reference.replacingOccurrences(of: "\n0,10000,/b,1", with: "")
        let lost = VerifyReport.compare(job: "j", reference: Self.reference, cluster: lostRow, referenceAccepted: 6, clusterAccepted: 5)
        #expect(!lost.passed && lost.missing == ["0,10000,/b,1"] && lost.extra.isEmpty && lost.eventsLost == 1)
    }

    @Test func windowsTheWorkersNoLongerRetainAreLeftOutOfTheComparison() {
        let recent = "window_start,window_end,page,views\n10000,20000,/a,2"
        let from = VerifyReport.retainedFrom(reference: Self.reference, retentionMs: 5_000)
        #expect(from == 15_000)
        let result = VerifyReport.compare(job: "j", reference: Self.reference, cluster: recent, referenceAccepted: 6, clusterAccepted: 6,
                                          windowsEndingFrom: from)
        #expect(result.passed && result.rowsCompared == 1)
    }

    @Test func aReplayPaceIsOneOfRateSpeedAndMax() throws {
        #expect(try Pace(rate: "200k/s", speed: nil, max: false) == .rate(eventsPerSecond: 200_000))
        #expect(try Pace(rate: nil, speed: "10x", max: false) == .speed(factor: 10))
        #expect(try Pace(rate: nil, speed: nil, max: false) == .max)
        #expect(throws: ToolError.self) { try Pace(rate: "200k/s", speed: nil, max: true) }
        #expect(throws: ToolError.self) { try Pace(rate: "fast", speed: nil, max: false) }
    }
}
