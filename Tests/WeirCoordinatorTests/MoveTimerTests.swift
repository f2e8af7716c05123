import Testing
@testable import WeirCoordinator

/// How partition moves are timed and told apart: one fault per move in the kill and pause
/// figures, and a move whose new owner was lost too (two faults) in a list of its own.
@Suite struct MoveTimerTests {
    @Test func aKillFailoverIsTimedFromTheDisconnectToTheNewOwnersFirstRead() throws {
        var timer = MoveTimer()
        timer.ownerLost(3, now: 1_000, silent: false)
        timer.granted(3, now: 1_010)
        let read = timer.read(3, epoch: 2, now: 1_240)
        let move = try #require(read)
        #expect(move.kind == "failover" && move.milliseconds == 240 && move.grants == 1 && move.sinceLastGrant == 230)
        #expect(timer.failovers == [240] && timer.failoversWithNewOwnerLost.isEmpty)
        #expect(timer.read(3, epoch: 2, now: 1_300) == nil, "later reads of the same epoch end no move")
    }

    @Test func aNewOwnerPausedBeforeItReadMakesATwoFaultMove() throws {
        var timer = MoveTimer()
        timer.ownerLost(5, now: 1_000, silent: false)  // kill -9 of the owner
        timer.granted(5, now: 1_005)                    // to its standby, which is then paused
        timer.ownerLost(5, now: 1_020, silent: true)    // the standby's lease lapses (last heard at 1,020)
        timer.granted(5, now: 3_300)
        let read = timer.read(5, epoch: 3, now: 3_500)
        let move = try #require(read)
        #expect(move.kind == "failover_new_owner_lost" && move.milliseconds == 2_500 && move.grants == 2)
        #expect(timer.failoversWithNewOwnerLost == [2_500])
        #expect(timer.failovers.isEmpty && timer.silentFailovers.isEmpty, "the kill figure measures one fault")
        // The next move of the partition is a plain one again.
        timer.ownerLost(5, now: 5_000, silent: true)
        timer.granted(5, now: 7_200)
        #expect(timer.read(5, epoch: 4, now: 7_400)?.kind == "silent_failover")
    }

    @Test func aGrantNotTakenUpMakesATwoFaultMoveButALossBeforeAnyGrantDoesNot() throws {
        var timer = MoveTimer()
        timer.ownerLost(1, now: 0, silent: true)
        timer.grantNotTakenUp(1)
        timer.granted(1, now: 3_000)
        #expect(timer.read(1, epoch: 5, now: 3_100)?.kind == "failover_new_owner_lost")
        // Two reports of one loss (a disconnect after a lapse) before any grant: one fault.
        timer.ownerLost(2, now: 0, silent: true)
        timer.ownerLost(2, now: 50, silent: false)
        timer.granted(2, now: 2_200)
        #expect(timer.read(2, epoch: 7, now: 2_300)?.kind == "silent_failover")
        // A withdrawn grant of a partition that is not on the move (a handoff) changes nothing.
        timer.released(4, now: 0)
        timer.grantNotTakenUp(4)
        timer.granted(4, now: 10)
        #expect(timer.read(4, epoch: 2, now: 90)?.kind == "handoff")
    }
}
