import Synchronization
import Testing
import WeirCore
import WeirTestSupport
import WeirWire

/// The one way a process waits for answers: every request ends exactly once, by its answer, its
/// deadline on the injected clock, its task's cancellation or its connection's end.
@Suite struct RequestCorrelatorTests {
    @Test func anAnswerEndsTheRequest_andALateOrDuplicateOneIsRefused() async {
        let clock = ManualClock()
        let correlator = RequestCorrelator<RequestID, String?>(kind: "test", clock: clock)
        let id = RequestNumbers().make()
        let outcome = await correlator.request(id, initial: nil, timeout: .seconds(5)) {
            #expect(correlator.answer(id, with: "pong"))
        }
        #expect(outcome.reply == "pong")
        #expect(!correlator.answer(id, with: "again"), "a duplicate answer")
        #expect(correlator.counts == RequestCounts(answered: 1))
        #expect(correlator.pendingCount == 0)
    }

    @Test func theDeadlineOnTheInjectedClock_endsItWithWhatHadArrived() async {
        let clock = ManualClock()
        let timedOut = TimedOutKinds()
        let correlator = RequestCorrelator<RequestID, [Int]>(kind: "gather", clock: clock, onTimeout: { timedOut.add($0) })
        let id = RequestNumbers().make()
        let waiting = Task { await correlator.request(id, initial: [], timeout: .seconds(2)) {} }
        while correlator.pendingCount != 1 { await Task.yield() }  // registered
        #expect(correlator.update(id) { $0.append(7); return false }, "one of two parts")
        clock.advance(by: .milliseconds(1_999))
        correlator.expireOverdue()
        #expect(correlator.pendingCount == 1, "not before its deadline")
        clock.advance(by: .milliseconds(1))
        correlator.expireOverdue()
        guard case .timedOut(let partial) = await waiting.value else { Issue.record("expected a timeout"); return }
        #expect(partial == [7])
        #expect(correlator.counts.timedOut == 1 && timedOut.kinds == ["gather"])
    }

    @Test func cancellingTheWaitingTask_endsTheRequest() async {
        let correlator = RequestCorrelator<RequestID, Int?>(kind: "test", clock: ManualClock())
        let id = RequestNumbers().make()
        let waiting = Task { await correlator.request(id, initial: nil, timeout: nil) {} }
        while correlator.pendingCount == 0 { await Task.yield() }
        waiting.cancel()
        guard case .cancelled = await waiting.value else { Issue.record("expected cancelled"); return }
        #expect(correlator.counts.cancelled == 1 && !correlator.answer(id, with: 1))
    }

    @Test func aClosedConnectionFailsEveryWaitingRequest() async {
        let correlator = RequestCorrelator<RequestID, Int?>(kind: "test", clock: ManualClock())
        let numbers = RequestNumbers()
        let tasks = (0..<3).map { _ in
            let id = numbers.make()
            return Task { await correlator.request(id, initial: nil, timeout: .seconds(60)) {} }
        }
        while correlator.pendingCount < 3 { await Task.yield() }
        correlator.failAll("connection closed")
        for t in tasks {
            guard case .failed(let why) = await t.value else { Issue.record("expected failed"); continue }
            #expect(why == "connection closed")
        }
        #expect(correlator.counts.failed == 3)
    }

    @Test func aGatherCompletesWhenEveryPartArrived_orEveryoneAwaitedIsGone() async {
        struct Gather: Sendable { var waiting: Set<String>; var got: [String] = [] }
        let correlator = RequestCorrelator<RequestID, Gather>(kind: "query", clock: ManualClock())
        let numbers = RequestNumbers()
        let first = numbers.make(), second = numbers.make()
        let a = Task { await correlator.request(first, initial: Gather(waiting: ["w1", "w2"]), timeout: nil) {} }
        let b = Task { await correlator.request(second, initial: Gather(waiting: ["w2"]), timeout: nil) {} }
        while correlator.pendingCount < 2 { await Task.yield() }
        correlator.update(first) { g in g.got.append("w1"); g.waiting.remove("w1"); return g.waiting.isEmpty }
        // w2 goes away: both stop waiting for it.
        correlator.updateAll { g in g.waiting.remove("w2"); return g.waiting.isEmpty }
        #expect(await a.value.reply?.got == ["w1"])
        #expect(await b.value.reply?.got == [])
    }

    @Test func aSecondRequestUnderTheSameKey_supersedesTheFirst() async {
        let correlator = RequestCorrelator<LeaseRef, Int?>(kind: "checkpoint", clock: ManualClock())
        let lease = LeaseRef(partition: 3, epoch: 2)
        let old = Task { await correlator.request(lease, initial: nil, timeout: nil) {} }
        while correlator.pendingCount == 0 { await Task.yield() }
        let new = Task { await correlator.request(lease, initial: nil, timeout: nil) {} }
        guard case .failed = await old.value else { Issue.record("the first should fail as superseded"); return }
        while correlator.pendingCount == 0 { await Task.yield() }
        #expect(correlator.answer(lease, with: 9))
        #expect(await new.value.reply == 9)
    }
}

/// Kinds reported to the timeout hook.
final class TimedOutKinds: Sendable {
    private let store = Mutex<[String]>([])
    func add(_ kind: String) { store.withLock { $0.append(kind) } }
    var kinds: [String] { store.withLock { $0 } }
}
