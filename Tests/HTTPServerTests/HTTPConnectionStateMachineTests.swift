import Testing
@testable import HTTPServer

/// The connection lifecycle driven by hand-made instants (a manual clock): no sockets, no sleeping.
@Suite struct HTTPConnectionStateMachineTests {
    let timeouts = ConnectionTimeouts(
        headerTimeout: .seconds(10), bodyTimeout: .seconds(60), idleTimeout: .seconds(30), writeTimeout: .seconds(5),
        drainIdleTimeout: .seconds(2), inflightWait: .seconds(5)
    )
    let start = ContinuousClock.now

    @Test func aSpentBudgetStopsTheBodyAndRoomResumesItWithTheBodyDeadlineMovedOn() {
        var machine = HTTPConnectionStateMachine(timeouts: timeouts)
        _ = machine.requestBytesArrived(now: start)
        #expect(machine.headReceived(now: start) == .setDeadline(start + .seconds(60)))
        let spent = start + .seconds(1)
        #expect(machine.budgetSpent(now: spent) == .waitForBudget(deadline: spent + .seconds(5)))
        #expect(machine.isWaitingForBudget)
        #expect(machine.budgetSpent(now: spent + .seconds(1)) == .none, "one wait at a time")
        let room = spent + .seconds(3)
        #expect(machine.budgetRoomOpened(now: room) == .resumeAfterBudgetWait(bodyDeadline: start + .seconds(63)))
        #expect(!machine.isWaitingForBudget)
        #expect(machine.budgetRoomOpened(now: room) == .none, "woken twice: nothing more")
        #expect(machine.requestCompleted() == .pauseReadingAndClearDeadline)
    }

    @Test func aWaitForTheBudgetThatRunsOutIsARetryableRefusalNotATimeout() {
        var machine = HTTPConnectionStateMachine(timeouts: timeouts)
        _ = machine.requestBytesArrived(now: start)
        _ = machine.headReceived(now: start)
        _ = machine.budgetSpent(now: start)
        #expect(machine.deadlineExpired() == .refuseForBudgetAndClose)
        #expect(machine.state == .closed)
        #expect(machine.budgetRoomOpened(now: start + .seconds(6)) == .none, "room after the refusal changes nothing")
    }

    @Test func theBudgetOnlyStopsBodies() {
        var idle = HTTPConnectionStateMachine(timeouts: timeouts)
        #expect(idle.budgetSpent(now: start) == .none)
        var head = HTTPConnectionStateMachine(timeouts: timeouts)
        _ = head.requestBytesArrived(now: start)
        #expect(head.budgetSpent(now: start) == .none)
        var busy = HTTPConnectionStateMachine(timeouts: timeouts)
        _ = busy.requestBytesArrived(now: start)
        _ = busy.headReceived(now: start)
        _ = busy.requestCompleted()
        #expect(busy.budgetSpent(now: start) == .none)
    }

    @Test func keepAliveCycleSetsThePhaseDeadlines() {
        var machine = HTTPConnectionStateMachine(timeouts: timeouts)
        #expect(machine.opened(now: start) == .setDeadline(start + .seconds(10)))
        let firstByte = start + .seconds(1)
        #expect(machine.requestBytesArrived(now: firstByte) == .setDeadline(firstByte + .seconds(10)))
        #expect(machine.state == .readingHead)
        let head = start + .seconds(2)
        #expect(machine.headReceived(now: head) == .setDeadline(head + .seconds(60)))
        #expect(machine.requestCompleted() == .pauseReadingAndClearDeadline)
        #expect(machine.state == .awaitingResponse)
        let answered = start + .seconds(3)
        #expect(machine.responseWritten(keepAlive: true, now: answered) == .resumeReading(idleDeadline: answered + .seconds(30)))
        #expect(machine.state == .idle)
    }

    @Test func responseWithoutKeepAliveCloses() {
        var machine = HTTPConnectionStateMachine(timeouts: timeouts)
        _ = machine.requestBytesArrived(now: start)
        _ = machine.headReceived(now: start)
        _ = machine.requestCompleted()
        #expect(machine.responseWritten(keepAlive: false, now: start) == .close)
        #expect(machine.state == .closed)
    }

    @Test func deadlineOutcomesDependOnThePhase() {
        var idle = HTTPConnectionStateMachine(timeouts: timeouts)
        #expect(idle.deadlineExpired() == .close)

        var slowHead = HTTPConnectionStateMachine(timeouts: timeouts)
        _ = slowHead.requestBytesArrived(now: start)
        #expect(slowHead.deadlineExpired() == .sendRequestTimeoutAndClose)

        var slowBody = HTTPConnectionStateMachine(timeouts: timeouts)
        _ = slowBody.requestBytesArrived(now: start)
        _ = slowBody.headReceived(now: start)
        #expect(slowBody.deadlineExpired() == .sendRequestTimeoutAndClose)

        // While the application works (a durable ack waits for fsync) no read deadline applies.
        var busy = HTTPConnectionStateMachine(timeouts: timeouts)
        _ = busy.requestBytesArrived(now: start)
        _ = busy.headReceived(now: start)
        _ = busy.requestCompleted()
        #expect(busy.deadlineExpired() == .none)
        #expect(busy.state == .awaitingResponse)
    }

    @Test func drainClosesBusyConnectionsAfterTheResponse() {
        var busy = HTTPConnectionStateMachine(timeouts: timeouts)
        _ = busy.requestBytesArrived(now: start)
        _ = busy.headReceived(now: start)
        _ = busy.requestCompleted()
        #expect(busy.drain(now: start) == .none)
        #expect(busy.closesAfterResponse)
        #expect(busy.responseWritten(keepAlive: true, now: start) == .close)

        var reading = HTTPConnectionStateMachine(timeouts: timeouts)
        _ = reading.requestBytesArrived(now: start)
        #expect(reading.drain(now: start) == .none)
        _ = reading.headReceived(now: start)
        _ = reading.requestCompleted()
        #expect(reading.responseWritten(keepAlive: true, now: start) == .close)
    }

    /// An idle keep-alive connection is not cut at drain (its client may be sending right now): its next
    /// request is answered with `Connection: close`, then it closes.
    @Test func drainAnswersTheNextRequestOnAnIdleConnectionThenCloses() {
        var machine = HTTPConnectionStateMachine(timeouts: timeouts)
        _ = machine.requestBytesArrived(now: start)
        _ = machine.headReceived(now: start)
        _ = machine.requestCompleted()
        _ = machine.responseWritten(keepAlive: true, now: start)
        #expect(machine.state == .idle)

        let drained = start + .seconds(1)
        #expect(machine.drain(now: drained) == .setDeadline(drained + .seconds(2)))
        #expect(machine.state == .idle)
        #expect(machine.closesAfterResponse)
        let next = drained + .milliseconds(100)
        #expect(machine.requestBytesArrived(now: next) == .setDeadline(next + .seconds(10)))
        _ = machine.headReceived(now: next)
        #expect(machine.requestCompleted() == .pauseReadingAndClearDeadline)
        #expect(machine.closesAfterResponse)
        #expect(machine.responseWritten(keepAlive: true, now: next) == .close)
        #expect(machine.state == .closed)
    }

    @Test func drainedIdleConnectionClosesWhenNoRequestComesInTime() {
        var machine = HTTPConnectionStateMachine(timeouts: timeouts)
        #expect(machine.drain(now: start) == .setDeadline(start + .seconds(2)))
        #expect(machine.deadlineExpired() == .close)
        #expect(machine.state == .closed)
        #expect(machine.drain(now: start) == .none)
    }

    @Test func peerHalfCloseStillGetsItsAnswer() {
        var machine = HTTPConnectionStateMachine(timeouts: timeouts)
        _ = machine.requestBytesArrived(now: start)
        _ = machine.headReceived(now: start)
        _ = machine.requestCompleted()
        #expect(machine.peerClosed() == .none)
        // Requests pipelined before the FIN are parsed after this answer; the connection stays open for them.
        #expect(machine.responseWritten(keepAlive: true, now: start) == .resumeReading(idleDeadline: start + timeouts.idleTimeout))
        _ = machine.requestBytesArrived(now: start)
        _ = machine.headReceived(now: start)
        _ = machine.requestCompleted()
        #expect(machine.bufferedInputParsed() == .none, "a pipelined request is in flight")
        _ = machine.responseWritten(keepAlive: true, now: start)
        #expect(machine.bufferedInputParsed() == .close, "nothing complete left and nothing more can come")
        #expect(machine.state == .closed)

        var idle = HTTPConnectionStateMachine(timeouts: timeouts)
        #expect(idle.peerClosed() == .close)

        var partial = HTTPConnectionStateMachine(timeouts: timeouts)
        _ = partial.requestBytesArrived(now: start)
        #expect(partial.peerClosed() == .close, "an incomplete request can never complete")
    }

    @Test func withoutHalfCloseBufferedInputParsedChangesNothing() {
        var machine = HTTPConnectionStateMachine(timeouts: timeouts)
        #expect(machine.bufferedInputParsed() == .none)
        #expect(machine.state == .idle)
    }
}
