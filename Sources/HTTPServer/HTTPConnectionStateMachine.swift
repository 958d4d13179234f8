/// The lifecycle of one HTTP/1.1 connection as a pure value: events in, actions out. The driver
/// (``HTTPConnection``) performs the actions; tests drive it with hand-made instants (a manual clock).
///
/// One request is in flight at a time. While the application works on it, reading is paused so a client
/// cannot flood memory with pipelined requests; bytes already received stay buffered and are parsed once
/// the response has been written.
struct HTTPConnectionStateMachine: Sendable {
    enum State: Equatable, Sendable {
        /// Waiting for the first byte of the next request.
        case idle
        /// Some of a request head has arrived.
        case readingHead
        /// The head is complete; the body is arriving.
        case readingBody
        /// The request is complete and the responder has it.
        case awaitingResponse
        /// The connection is closing or closed; nothing more happens.
        case closed
    }

    enum Action: Equatable, Sendable {
        case none
        /// Replace the connection's deadline (nil clears it).
        case setDeadline(ContinuousClock.Instant?)
        /// Stop reading from the socket until the response is out.
        case pauseReadingAndClearDeadline
        /// Response written and the connection stays open: resume reading, parse any buffered bytes, arm the idle deadline.
        case resumeReading(idleDeadline: ContinuousClock.Instant)
        /// Write a 408 and close (a request was started but not finished in time).
        case sendRequestTimeoutAndClose
        /// Close, flushing any pending output first.
        case close
        /// The memory budget is spent mid-body: stop reading, wait for room until `deadline`.
        case waitForBudget(deadline: ContinuousClock.Instant)
        /// Room opened: read the body again, under the body deadline (moved on by the time spent waiting).
        case resumeAfterBudgetWait(bodyDeadline: ContinuousClock.Instant)
        /// No room within the wait: answer 503 with `Retry-After` and close.
        case refuseForBudgetAndClose
    }

    private(set) var state: State = .idle
    /// Set by ``drain(now:)``: the connection closes after the response in progress, instead of staying alive.
    private(set) var isDraining = false
    /// The peer shut down its write side (FIN). Complete requests it sent before still get their answers,
    /// in order (RFC 9112 §9.6); once the buffered input holds no complete request, the connection closes.
    private(set) var peerHasClosed = false
    /// Reading stopped mid-body because the memory budget is spent, since this instant.
    private(set) var budgetWaitStartedAt: ContinuousClock.Instant?
    /// When the body in progress must be complete; a wait for the budget moves it on (the client did not stall).
    private var bodyDeadline: ContinuousClock.Instant?
    let timeouts: ConnectionTimeouts

    init(timeouts: ConnectionTimeouts) {
        self.timeouts = timeouts
    }

    /// The connection was accepted: it has `headerTimeout` to send a first request.
    mutating func opened(now: ContinuousClock.Instant) -> Action {
        .setDeadline(now + timeouts.headerTimeout)
    }

    /// Request bytes arrived while idle: the header clock starts.
    mutating func requestBytesArrived(now: ContinuousClock.Instant) -> Action {
        guard state == .idle else { return .none }
        state = .readingHead
        return .setDeadline(now + timeouts.headerTimeout)
    }

    /// The head is complete. A request without a body goes straight to ``requestCompleted()``.
    mutating func headReceived(now: ContinuousClock.Instant) -> Action {
        guard state == .idle || state == .readingHead else { return .none }
        state = .readingBody
        bodyDeadline = now + timeouts.bodyTimeout
        return .setDeadline(now + timeouts.bodyTimeout)
    }

    /// The memory budget is spent while the body is arriving: reading stops until room opens, for at most
    /// `inflightWait`.
    mutating func budgetSpent(now: ContinuousClock.Instant) -> Action {
        guard state == .readingBody, budgetWaitStartedAt == nil else { return .none }
        budgetWaitStartedAt = now
        return .waitForBudget(deadline: now + timeouts.inflightWait)
    }

    /// Room opened in the budget while waiting.
    mutating func budgetRoomOpened(now: ContinuousClock.Instant) -> Action {
        guard state == .readingBody, let started = budgetWaitStartedAt else { return .none }
        budgetWaitStartedAt = nil
        let deadline = (bodyDeadline ?? now + timeouts.bodyTimeout) + (now - started)
        bodyDeadline = deadline
        return .resumeAfterBudgetWait(bodyDeadline: deadline)
    }

    /// Whether reading is stopped for the memory budget.
    var isWaitingForBudget: Bool { budgetWaitStartedAt != nil }

    /// The whole request is in; the responder takes over.
    mutating func requestCompleted() -> Action {
        guard state != .closed else { return .none }
        state = .awaitingResponse
        budgetWaitStartedAt = nil
        bodyDeadline = nil
        return .pauseReadingAndClearDeadline
    }

    /// The response was queued for writing. `keepAlive` is the request's and response's joint verdict.
    mutating func responseWritten(keepAlive: Bool, now: ContinuousClock.Instant) -> Action {
        guard state == .awaitingResponse else { return .none }
        if !keepAlive || isDraining {
            state = .closed
            return .close
        }
        state = .idle
        return .resumeReading(idleDeadline: now + timeouts.idleTimeout)
    }

    /// The parser or the driver hit an error it answers itself (and then closes).
    mutating func failed() -> Action {
        state = .closed
        budgetWaitStartedAt = nil
        return .close
    }

    /// The deadline set earlier has passed.
    mutating func deadlineExpired() -> Action {
        switch state {
        case .idle:
            state = .closed
            return .close
        case .readingBody where budgetWaitStartedAt != nil:
            // The server stopped reading, not the client: a retryable refusal, not a timeout.
            state = .closed
            budgetWaitStartedAt = nil
            return .refuseForBudgetAndClose
        case .readingHead, .readingBody:
            state = .closed
            return .sendRequestTimeoutAndClose
        case .awaitingResponse:
            // The application owns this phase (a durable ack waits for fsync); no read deadline applies.
            return .none
        case .closed:
            return .close
        }
    }

    /// The peer shut down its write side. The driver parses every byte it reads unless a request is in
    /// flight, so outside `awaitingResponse` what is buffered is at most an incomplete request: close.
    mutating func peerClosed() -> Action {
        peerHasClosed = true
        switch state {
        case .awaitingResponse:
            // Answer the request we have; requests pipelined behind it are parsed after its response.
            return .none
        case .closed:
            return .none
        case .idle, .readingHead, .readingBody:
            state = .closed
            return .close
        }
    }

    /// The driver parsed the buffered input after a response. With the peer gone, nothing more can
    /// arrive: unless that input held another complete request (now in flight), close.
    mutating func bufferedInputParsed() -> Action {
        guard peerHasClosed else { return .none }
        switch state {
        case .idle, .readingHead, .readingBody:
            state = .closed
            return .close
        case .awaitingResponse, .closed:
            return .none
        }
    }

    /// Graceful drain: the response in progress, or the next request's on an idle keep-alive connection,
    /// carries `Connection: close` and the connection then closes. Closing an idle connection at once would
    /// race a request its client may already be sending (it would see the connection drop, not an answer);
    /// so an idle one gets `drainIdleTimeout` to send that last request before it is closed.
    mutating func drain(now: ContinuousClock.Instant) -> Action {
        isDraining = true
        switch state {
        case .idle:
            return .setDeadline(now + timeouts.drainIdleTimeout)
        case .closed:
            return .none
        case .readingHead, .readingBody, .awaitingResponse:
            return .none
        }
    }

    /// Whether a response written now should carry `Connection: close`.
    var closesAfterResponse: Bool { isDraining }
}
