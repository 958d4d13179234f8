import DispatchSockets
import HTTP1

#if canImport(Glibc)
import Glibc
#endif

/// Drives one HTTP/1.1 connection: feeds received bytes to the parser, hands complete requests to the
/// router, writes responses in order, and performs what ``HTTPConnectionStateMachine`` decides.
///
/// Confined to the connection's I/O lane (asserted at the entry points): every method runs there, so it
/// needs no locks. A pending answer completed elsewhere reaches it only through `Connection.execute`.
final class HTTPConnection: ConnectionHandler, @unchecked Sendable {  // unchecked: lane-confined (asserted); crosses threads only as a reference for `Connection.execute`
    private unowned let server: Server
    /// The server's observer when it describes requests (read once: each access to `server` is an unowned
    /// retain).
    private let describer: (any HTTPServerObserver)?
    /// The server's budget, held here so the per-read charge does not go through the unowned reference.
    private let budget: MemoryBudget
    private var connection: (any HTTPTransport)?
    private var parser: RequestParser
    private var machine: HTTPConnectionStateMachine
    private var dateCache = DateHeaderCache()

    /// Received bytes the parser has not consumed yet (a partial head, or pipelined requests that wait
    /// while a response is pending). Empty in the common case, where parsing runs on the lane's buffer.
    private var inbound: [UInt8] = []
    private var currentHead: RequestHead?
    /// The request the responder is working on; its keep-alive verdict and method shape the response.
    private var inFlightHead: RequestHead?
    private var body: [UInt8] = []
    private var requestStartedAt: ContinuousClock.Instant = .now
    private var requestWireBytes = 0
    /// When the request in flight was complete (set only while the observer describes requests).
    private var requestReadAt: ContinuousClock.Instant = .now
    /// Requests dispatched on this connection so far; 1 while the first is in flight.
    private var requestsOnConnection = 0
    /// Increments per dispatched request, so a late or duplicate answer for an older request is ignored.
    private var generation: UInt64 = 0
    private var currentRoute = ""
    /// Reading stays paused until queued output drains below the bound.
    private var waitingForOutputDrain = false
    /// An answer available while the lane is still parsing (a route's `.now`, a router refusal, a pending
    /// answer completed before it was awaited). It is written once the bytes around the request are
    /// accounted for: no hop through the lane's queue, no eventfd wake-up.
    private var readyAnswer: (response: HTTPResponse, generation: UInt64)?
    /// Body bytes of the request in progress charged to the server's memory budget.
    private var bodyCharged = 0
    /// A charge found the budget spent while parsing; once the bytes in hand are parsed, reading stops.
    private var budgetOverdrawn = false
    /// The wait for room in the budget, while reading is stopped for it.
    private var budgetTicket: MemoryBudget.WaitTicket?
    /// Woken with the budget's exemption (every holder was waiting): this body reads on past the limit until
    /// it is complete; releasing it hands the exemption back through this ticket.
    private var exemptTicket: MemoryBudget.WaitTicket?

    init(server: Server) {
        self.server = server
        self.describer = server.describesRequests ? server.observer : nil
        self.budget = server.memoryBudget
        self.parser = RequestParser(limits: server.configuration.parserLimits)
        self.machine = HTTPConnectionStateMachine(timeouts: server.configuration.timeouts)
    }

    // MARK: ConnectionHandler

    func connectionDidOpen(_ connection: Connection) { opened(connection) }
    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) { received(bytes) }
    func connectionDidReadEOF(_ connection: Connection) { readEOF() }
    func connectionDeadlineExpired(_ connection: Connection) { deadlineExpired() }
    func connectionDidDrainOutput(_ connection: Connection) { outputDrained() }
    func connectionDidClose(_ connection: Connection) { closed() }

    // MARK: transport events (the same whatever the transport; unit tests call these with a fake)

    /// The connection is counted open and closed by ``ProtocolSniffer``, which owns it from accept.
    func opened(_ transport: any HTTPTransport) {
        self.connection = transport
        perform(machine.opened(now: .now))
    }

    func received(_ bytes: UnsafeRawBufferPointer) {
        connection?.assertOnLane()
        guard machine.state != .closed, machine.state != .awaitingResponse else {
            // Bytes that raced a pause: keep them for after the response.
            if machine.state == .awaitingResponse { inbound.append(contentsOf: bytes) }
            return
        }
        if inbound.isEmpty {
            let consumed = process(bytes)
            if consumed < bytes.count, machine.state != .closed {
                inbound.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[consumed...]))
            }
        } else {
            inbound.append(contentsOf: bytes)
            processInbound()
        }
        settleBudget()
        deliverReadyAnswers()
    }

    /// Writes answers that became ready while parsing. Writing one resumes parsing, which may dispatch
    /// (and answer at once) the next pipelined request, hence the loop.
    private func deliverReadyAnswers() {
        while let answer = readyAnswer {
            readyAnswer = nil
            finish(answer.response, generation: answer.generation)
        }
    }

    func readEOF() {
        perform(machine.peerClosed())
    }

    func deadlineExpired() {
        guard let connection else { return }
        if machine.state == .closed {
            // A flush-then-close overran its write deadline: cut it.
            connection.close(flushingOutput: false)
            return
        }
        perform(machine.deadlineExpired())
    }

    func outputDrained() {
        guard waitingForOutputDrain, let connection else { return }
        waitingForOutputDrain = false
        guard !machine.isWaitingForBudget else { return }
        if machine.state == .idle || machine.state == .readingHead || machine.state == .readingBody {
            connection.resumeReading()
        }
    }

    func closed() {
        self.connection = nil
        inbound = []
        body = []
        releaseBody()
    }

    // MARK: memory budget

    /// Gives the body's charge back (the body was handed on or dropped) and withdraws any wait.
    private func releaseBody() {
        if let ticket = budgetTicket {
            budgetTicket = nil
            budget.cancelWait(ticket)
        }
        if bodyCharged > 0 {
            let charged = bodyCharged
            bodyCharged = 0
            budget.release(charged, endsHold: true)
        }
        if let ticket = exemptTicket {
            exemptTicket = nil
            budget.cancelWait(ticket)
        }
    }

    /// After parsing what was read: if a charge found the budget spent and the body is still arriving,
    /// stop reading and wait for room.
    private func settleBudget() {
        guard budgetOverdrawn else { return }
        budgetOverdrawn = false
        guard machine.state == .readingBody, connection != nil else { return }
        perform(machine.budgetSpent(now: .now))
    }

    /// Woken by a release elsewhere (via `execute`, so on the lane).
    private func budgetRoomOpened(exempt: Bool) {
        connection?.assertOnLane()
        guard let ticket = budgetTicket else { return }
        budgetTicket = nil
        if exempt { exemptTicket = ticket }
        perform(machine.budgetRoomOpened(now: .now))
    }

    /// 503 with `Retry-After`, then close: the budget had no room for this body (within the wait, or at all).
    private func refuseForBudget() {
        guard let connection else { return }
        releaseBody()
        body = []
        let response = HTTPResponse.jsonError(
            .serviceUnavailable, "server is at its memory budget; retry later", headers: [("Retry-After", "1")]
        )
        write(response, keepAlive: false, to: connection)
        recordRequest(route: "MemoryBudget", method: currentHead?.method ?? .post, status: 503)
        server.observer?.memoryBudgetRefused()
    }

    // MARK: drain

    /// Graceful stop: the next response (in progress, or to the next request on an idle connection) carries
    /// `Connection: close`; an idle connection that sends nothing closes after the drain idle timeout.
    func drain() {
        connection?.assertOnLane()
        perform(machine.drain(now: .now))
    }

    // MARK: parsing

    /// Parses from `input` until a request completes, more bytes are needed, or an error ends the
    /// connection. Returns how many bytes were consumed.
    private func process(_ input: UnsafeRawBufferPointer) -> Int {
        var offset = 0
        if machine.state == .idle, !input.isEmpty {
            requestStartedAt = .now
            requestWireBytes = 0
            perform(machine.requestBytesArrived(now: requestStartedAt))
        }
        // Loop until the parser needs more bytes: a request with an empty body completes without any.
        while true {
            let slice = UnsafeRawBufferPointer(rebasing: input[offset...])
            let (consumed, event) = parser.parse(slice)
            offset += consumed
            requestWireBytes += consumed
            switch event {
            case .needMore:
                return offset
            case .head(let head):
                headReceived(head)
                if machine.state == .closed { return offset }
            case .body(let range):
                switch budget.charge(range.count, startsHold: bodyCharged == 0) {
                case .withinBudget:
                    break
                case .overBudget:
                    if exemptTicket == nil { budgetOverdrawn = true }
                case .refused:
                    refuseForBudget()
                    perform(machine.failed())
                    return offset
                }
                bodyCharged += range.count
                body.append(contentsOf: UnsafeRawBufferPointer(rebasing: slice[range]))
            case .end:
                dispatchRequest()
                return offset
            case .error(let error):
                fail(error.status, reason: Self.reason(for: error), route: "BadRequest")
                return offset
            }
        }
    }

    /// Parses buffered bytes (after a response, or when a head arrived in pieces).
    private func processInbound() {
        let consumed = inbound.withUnsafeBytes { process($0) }
        if machine.state == .closed {
            inbound = []
        } else if consumed > 0 {
            inbound.removeSubrange(0..<consumed)
        }
    }

    private func headReceived(_ head: RequestHead) {
        currentHead = head
        let limit = server.configuration.parserLimits.maxBodyBytes
        switch head.framing {
        case .contentLength(let length):
            if length > limit {
                fail(.contentTooLarge, reason: "Request body is too large.", route: "BadRequest")
                return
            }
            // Room for the body plus the padding a SIMD JSON parser reads past the end.
            body = []
            body.reserveCapacity(length + 64)
        case .chunked:
            body = []
            body.reserveCapacity(16 * 1024)
        case .none:
            body = []
        }
        if head.expectsContinue, head.framing != .none {
            var interim: [UInt8] = []
            ResponseEncoder.encodeContinue(into: &interim)
            connection?.write(interim)
        }
        perform(machine.headReceived(now: .now))
    }

    // MARK: requests and responses

    private func dispatchRequest() {
        guard let head = currentHead, let connection else { return }
        inFlightHead = head
        requestsOnConnection += 1
        if describer != nil { requestReadAt = .now }
        perform(machine.requestCompleted())
        generation &+= 1
        let requestGeneration = generation
        let request = HTTPRequest(
            head: head, body: body, startedAt: requestStartedAt, wireByteCount: requestWireBytes
        )
        body = []
        currentHead = nil

        switch server.router.match(method: head.method, path: head.path) {
        case .found(let route, let parameters):
            currentRoute = route.template
            var routed = request
            routed.parameters = parameters
            switch route.handler(routed) {
            case .now(let response):
                readyAnswer = (response, requestGeneration)
            case .later(let pending):
                // Holding the driver until the answer arrives is fine: the closure lives only as long as the
                // request does, and a closed connection ignores the answer (generation and state checks).
                let ready = pending.builderOrObserve { [self] build in
                    connection.execute {
                        self.finish(build(), generation: requestGeneration)
                        self.deliverReadyAnswers()
                    }
                }
                if let ready { readyAnswer = (ready(), requestGeneration) }
            }
        case .methodNotAllowed(let allowed):
            currentRoute = "MethodNotAllowed"
            let allow = allowed.map { $0.rawValue }.joined(separator: ", ")
            readyAnswer = (.jsonError(.methodNotAllowed, "method not allowed", headers: [("Allow", allow)]), requestGeneration)
        case .notFound:
            currentRoute = "NotFound"
            readyAnswer = (.jsonError(.notFound, "not found"), requestGeneration)
        case .badPath:
            currentRoute = "BadRequest"
            readyAnswer = (.jsonError(.badRequest, "malformed percent-encoding in path"), requestGeneration)
        }
        // The route is done with the body (an ingest route charges what it keeps to the budget itself).
        releaseBody()
    }

    /// Writes the answer to the request in flight (on the lane) and moves the connection on.
    private func finish(_ response: HTTPResponse, generation answered: UInt64) {
        connection?.assertOnLane()
        guard answered == generation, machine.state == .awaitingResponse, let connection else { return }
        let keepAlive = (inFlightHead?.keepAlive ?? false) && !machine.closesAfterResponse
        let answeredAt = describer != nil ? ContinuousClock.now : requestStartedAt
        write(response, keepAlive: keepAlive, omitBody: inFlightHead?.method == .head, to: connection)
        let now = ContinuousClock.now
        recordRequest(route: currentRoute, method: inFlightHead?.method ?? .get, status: response.status.code, at: now)
        describe(
            route: currentRoute, head: inFlightHead, status: response.status.code, observation: response.observation,
            readAt: requestReadAt, answeredAt: answeredAt, number: requestsOnConnection, at: now
        )
        perform(machine.responseWritten(keepAlive: keepAlive, now: now))
    }

    private func write(_ response: HTTPResponse, keepAlive: Bool, omitBody: Bool = false, to connection: any HTTPTransport) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(response.body.count + 256)
        let date = dateCache.httpDate(epochSeconds: Self.epochSeconds())
        ResponseEncoder.encode(
            status: response.status, headers: response.headers, body: response.body,
            keepAlive: keepAlive, date: date, requestVersion: inFlightHead?.version ?? .http1_1,
            omitBody: omitBody, into: &bytes
        )
        connection.write(bytes)
    }

    /// Answers a protocol error or limit breach directly and closes: the stream position is no longer trustworthy.
    private func fail(_ status: HTTPStatus, reason: String, route: String) {
        guard let connection else { return }
        releaseBody()
        body = []
        let response = HTTPResponse.jsonError(status, reason)
        let answeredAt = ContinuousClock.now
        write(response, keepAlive: false, to: connection)
        let now = ContinuousClock.now
        recordRequest(route: route, method: currentHead?.method ?? .get, status: status.code, at: now)
        describe(
            route: route, head: currentHead, status: status.code, observation: nil, readAt: answeredAt,
            answeredAt: answeredAt, number: requestsOnConnection + 1, at: now
        )
        connection.setDeadline(.now + server.configuration.timeouts.writeTimeout)
        perform(machine.failed())
    }

    /// Counts the request in the lane's cached series (no process-wide lock on the way).
    private func recordRequest(route: String, method: HTTPMethod, status: Int, at now: ContinuousClock.Instant = .now) {
        guard let connection else { return }
        RequestSeriesCache.record(
            on: connection, observer: server.observer, route: route, method: method, status: status,
            protocolVersion: .http1_1, duration: now - requestStartedAt, wireBytes: requestWireBytes
        )
    }

    /// Hands the observer the request's record when it describes requests (self-telemetry).
    private func describe(
        route: String, head: RequestHead?, status: Int, observation: (any Sendable)?,
        readAt: ContinuousClock.Instant, answeredAt: ContinuousClock.Instant, number: Int, at now: ContinuousClock.Instant
    ) {
        guard let describer, let connection else { return }
        describer.requestAnswered(RequestRecord(
            route: route, method: head?.method ?? .get, status: status, protocolVersion: .http1_1, isGRPC: false,
            head: head, wireBytes: requestWireBytes, startedAt: requestStartedAt, readAt: readAt,
            answeredAt: answeredAt, finishedAt: now,
            requestOnConnection: number, lane: connection.laneIndex, observation: observation
        ))
    }

    private func perform(_ action: HTTPConnectionStateMachine.Action) {
        guard let connection else { return }
        switch action {
        case .none:
            break
        case .setDeadline(let deadline):
            connection.setDeadline(deadline)
        case .pauseReadingAndClearDeadline:
            connection.pauseReading()
            connection.setDeadline(nil)
        case .resumeReading(let idleDeadline):
            connection.setDeadline(idleDeadline)
            if !inbound.isEmpty {
                processInbound()
                settleBudget()
            }
            if machine.peerHasClosed {
                perform(machine.bufferedInputParsed())
                return
            }
            guard machine.state != .awaitingResponse, machine.state != .closed, !machine.isWaitingForBudget else { return }
            if connection.pendingOutputBytes > server.configuration.maxPendingOutputBytes {
                waitingForOutputDrain = true
            } else {
                connection.resumeReading()
            }
        case .sendRequestTimeoutAndClose:
            let response = HTTPResponse.jsonError(.requestTimeout, "request not received in time")
            let answeredAt = ContinuousClock.now
            write(response, keepAlive: false, to: connection)
            let now = ContinuousClock.now
            recordRequest(route: "Timeout", method: currentHead?.method ?? .get, status: 408, at: now)
            describe(
                route: "Timeout", head: currentHead, status: 408, observation: nil, readAt: answeredAt,
                answeredAt: answeredAt, number: requestsOnConnection + 1, at: now
            )
            connection.setDeadline(.now + server.configuration.timeouts.writeTimeout)
            connection.close(flushingOutput: true)
        case .close:
            connection.setDeadline(.now + server.configuration.timeouts.writeTimeout)
            connection.close(flushingOutput: true)
        case .waitForBudget(let deadline):
            connection.pauseReading()
            connection.setDeadline(deadline)
            let ticket = budget.waitForRoom { [self] exempt in
                connection.execute { self.budgetRoomOpened(exempt: exempt) }
            }
            if let ticket {
                budgetTicket = ticket
                server.observer?.memoryBudgetWaited()
            } else {
                // Room opened before the wait began: go on at once.
                perform(machine.budgetRoomOpened(now: .now))
            }
        case .resumeAfterBudgetWait(let bodyDeadline):
            connection.setDeadline(bodyDeadline)
            connection.resumeReading()
        case .refuseForBudgetAndClose:
            refuseForBudget()
            connection.setDeadline(.now + server.configuration.timeouts.writeTimeout)
            connection.close(flushingOutput: true)
        }
    }

    private static func reason(for error: HTTPParseError) -> String {
        switch error {
        case .badRequest(let why): "bad request: \(why)"
        case .uriTooLong: "request line too long"
        case .headerFieldsTooLarge: "request header fields too large"
        case .payloadTooLarge: "Request body is too large."
        case .lengthRequired: "length required"
        case .notImplemented(let what): "not implemented: \(what)"
        case .versionNotSupported: "HTTP version not supported"
        }
    }

    private static func epochSeconds() -> Int {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return now.tv_sec
    }
}
