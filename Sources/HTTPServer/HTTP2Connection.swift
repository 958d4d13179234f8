import DispatchSockets
import GRPC
import HTTP1
import HTTP2

/// Drives one HTTP/2 connection: feeds received bytes to an ``HTTP2Session``, turns each complete stream
/// into an ``HTTPRequest`` for the router, and writes each answer on its stream as soon as it is ready
/// (streams are answered in any order). Keep-alive timing is ``HTTP2KeepAlive``'s.
///
/// Confined to the connection's lane like ``HTTPConnection``; a pending answer completed elsewhere
/// reaches it only through `Connection.execute`.
final class HTTP2Connection: @unchecked Sendable {  // unchecked: lane-confined (asserted); crosses threads only as a reference for `Connection.execute`
    private unowned let server: Server
    /// The server's observer when it describes requests (read once: each access to `server` is an unowned
    /// retain).
    private let describer: (any HTTPServerObserver)?
    /// The server's budget, held here so the per-frame charge does not go through the unowned reference.
    private let budget: MemoryBudget
    private let connection: Connection
    private let session: HTTP2Session
    private var keepAlive: HTTP2KeepAlive
    private var streams: [Int32: StreamRequest] = [:]
    /// Reading stays paused until queued output drains below the bound.
    private var waitingForOutputDrain = false
    private var closed = false
    /// True while session events are being handled: answers given then go out with the next write.
    private var handlingEvents = false
    /// Streams answered on this connection so far (the first is a new connection's, later ones reuse it).
    private var streamsAnswered = 0
    /// A DATA frame found the memory budget spent: once the bytes in hand are handled, reading stops.
    private var budgetOverdrawn = false
    /// The wait for room in the budget, and when it gives up (streams still receiving get 503 and the
    /// connection ends with GOAWAY).
    private var budgetTicket: MemoryBudget.WaitTicket?
    private var budgetWaitDeadline: ContinuousClock.Instant?
    /// Woken with the budget's exemption: reading goes on past the limit until the next stream is dispatched.
    private var exemptTicket: MemoryBudget.WaitTicket?

    /// One request in progress on a stream.
    private struct StreamRequest {
        var head: RequestHead
        var isGRPC: Bool
        var body: [UInt8] = []
        var startedAt: ContinuousClock.Instant
        /// When the body was complete (set only while the observer describes requests).
        var readAt: ContinuousClock.Instant?
        var wireBytes: Int
        var route = ""
        var dispatched = false
        /// Answered before its body was complete (a refusal): the rest of the body is dropped.
        var answered = false
        /// Body bytes charged to the memory budget.
        var charged = 0
    }

    init(server: Server, connection: Connection) {
        self.server = server
        self.describer = server.describesRequests ? server.observer : nil
        self.budget = server.memoryBudget
        self.connection = connection
        self.session = HTTP2Session(limits: server.configuration.http2Limits)
        self.keepAlive = HTTP2KeepAlive(limits: server.configuration.http2Limits, now: .now)
    }

    // MARK: from the sniffer (ConnectionHandler callbacks, on the lane)

    func didRead(_ bytes: UnsafeRawBufferPointer) {
        connection.assertOnLane()
        guard !closed else { return }
        let now = ContinuousClock.now
        keepAlive.activity(at: now)
        session.receive(bytes, now: now)
        flush()
        if budgetOverdrawn, !closed {
            budgetOverdrawn = false
            waitForBudget()
        }
    }

    func deadlineExpired() {
        guard !closed else {
            // A flush-then-close overran its write deadline: cut it.
            connection.close(flushingOutput: false)
            return
        }
        if let deadline = budgetWaitDeadline, ContinuousClock.now >= deadline {
            refuseWaitingStreams()
            return
        }
        switch keepAlive.deadlinePassed(now: .now, openStreams: session.openStreamCount) {
        case .none:
            break
        case .sendPing:
            session.sendPing()
        case .goAwayIdle:
            session.goAway()
        case .close:
            closeConnection(flushing: false)
            return
        }
        flush()
    }

    func didDrainOutput() {
        guard waitingForOutputDrain, !closed else { return }
        waitingForOutputDrain = false
        if budgetTicket == nil { connection.resumeReading() }
    }

    func peerClosed() {
        closeConnection(flushing: true)
    }

    func didClose() {
        closed = true
        if let ticket = budgetTicket {
            budgetTicket = nil
            budget.cancelWait(ticket)
        }
        for stream in streams.values where stream.charged > 0 {
            budget.release(stream.charged, endsHold: true)
        }
        streams = [:]
        endExemption()
    }

    private func endExemption() {
        guard let ticket = exemptTicket else { return }
        exemptTicket = nil
        budget.cancelWait(ticket)
    }

    // MARK: memory budget

    private func waitForBudget() {
        guard budgetTicket == nil else { return }
        connection.pauseReading()
        let ticket = budget.waitForRoom { [self] exempt in
            connection.execute { self.budgetRoomOpened(exempt: exempt) }
        }
        guard let ticket else {
            connection.resumeReading()
            return
        }
        budgetTicket = ticket
        budgetWaitDeadline = .now + server.configuration.timeouts.inflightWait
        server.observer?.memoryBudgetWaited()
        flush()
    }

    private func budgetRoomOpened(exempt: Bool) {
        connection.assertOnLane()
        guard let ticket = budgetTicket, !closed else { return }
        budgetTicket = nil
        if exempt { exemptTicket = ticket }
        budgetWaitDeadline = nil
        if !waitingForOutputDrain { connection.resumeReading() }
        flush()
    }

    /// The wait ran out: every stream still receiving its body gets 503 (UNAVAILABLE for gRPC) with
    /// `Retry-After`, and the connection ends gracefully (GOAWAY, then close once the others are answered).
    private func refuseWaitingStreams() {
        if let ticket = budgetTicket {
            budgetTicket = nil
            budget.cancelWait(ticket)
        }
        budgetWaitDeadline = nil
        endExemption()
        for (id, stream) in streams where !stream.dispatched && !stream.answered {
            server.observer?.memoryBudgetRefused()
            answer(id, Self.budgetRefusal(isGRPC: stream.isGRPC), route: "MemoryBudget")
        }
        // GOAWAY: no new streams; streams already dispatched still get their answers, then the connection
        // closes (flush sees the session finished). Reading resumes: the refused streams' data is dropped.
        session.goAway()
        if !waitingForOutputDrain { connection.resumeReading() }
        flush()
    }

    private static func budgetRefusal(isGRPC: Bool) -> HTTPResponse {
        var response = refusal(
            isGRPC: isGRPC, .serviceUnavailable, .unavailable, "server is at its memory budget; retry later",
            detail: "server is at its memory budget; retry later"
        )
        response.headers.append(("retry-after", "1"))
        return response
    }

    /// Graceful stop: GOAWAY, let the streams in flight finish, then close. An idle connection gets the final
    /// GOAWAY at once; one with streams open gets the two-step drain (shutdown notice, PING, final GOAWAY),
    /// so requests the client sent meanwhile are still served. A client that never answers the PING is cut by
    /// the keep-alive's PING timeout or the shutdown deadline.
    func drain() {
        connection.assertOnLane()
        guard !closed else { return }
        if session.openStreamCount == 0 {
            session.goAway()
        } else {
            session.drain()
        }
        flush()
    }

    // MARK: events

    /// Writes what the session has to send, handles the events that produced, and closes when done.
    private func flush() {
        handleEvents()
        session.writeOutput { connection.write($0) }
        // Sending may have closed streams (or reported a GOAWAY for a protocol error).
        handleEvents()
        guard !closed else { return }
        if session.isFinished {
            closeConnection(flushing: true)
            return
        }
        let keepAliveDeadline = keepAlive.deadline(openStreams: session.openStreamCount)
        connection.setDeadline(budgetWaitDeadline.map { min($0, keepAliveDeadline) } ?? keepAliveDeadline)
        if connection.pendingOutputBytes > server.configuration.maxPendingOutputBytes, !waitingForOutputDrain {
            waitingForOutputDrain = true
            connection.pauseReading()
        }
    }

    private func handleEvents() {
        handlingEvents = true
        defer { handlingEvents = false }
        for event in session.takeEvents() {
            switch event {
            case .head(let id, let head):
                headReceived(id, head)
            case .data(let id, let bytes):
                guard let stream = streams[id], !stream.answered else {
                    session.consume(streamID: id, byteCount: bytes.count)
                    continue
                }
                switch budget.charge(bytes.count, startsHold: stream.charged == 0) {
                case .withinBudget:
                    break
                case .overBudget:
                    if exemptTicket == nil { budgetOverdrawn = true }
                case .refused:
                    session.consume(streamID: id, byteCount: bytes.count)
                    server.observer?.memoryBudgetRefused()
                    answer(id, Self.budgetRefusal(isGRPC: stream.isGRPC), route: "MemoryBudget")
                    continue
                }
                streams[id]!.charged += bytes.count
                streams[id]!.body.append(contentsOf: bytes)
                streams[id]!.wireBytes += bytes.count
                // Taken: the client's windows open again by as much.
                session.consume(streamID: id, byteCount: bytes.count)
            case .end(let id):
                dispatch(id)
            case .bodyTooLarge(let id):
                guard let stream = streams[id], !stream.answered else { continue }
                let limit = server.configuration.http2Limits.maxBodyBytesPerStream
                answer(id, Self.refusal(
                    isGRPC: stream.isGRPC, .contentTooLarge, .resourceExhausted, "Request body is too large.",
                    detail: "request message is larger than \(limit) bytes"
                ), route: "BadRequest")
            case .headerListTooLarge:
                RequestSeriesCache.record(
                    on: connection, observer: server.observer, route: "BadRequest", method: .post, status: 431,
                    protocolVersion: .http2, duration: .zero, wireBytes: 0
                )
            case .closed(let id, _):
                if let stream = streams.removeValue(forKey: id), stream.charged > 0 {
                    budget.release(stream.charged, endsHold: true)
                }
                keepAlive.activity(at: .now)
            case .pingAcknowledged:
                keepAlive.pingAcknowledged(at: .now)
            case .connectionFailed(let failure):
                let reason = Self.metricReason(failure)
                server.observer?.http2ConnectionFailed(reason: reason)
                server.logger.debug("http2 connection ended with GOAWAY", metadata: ["reason": "\(reason)"])
            }
        }
    }

    private func headReceived(_ id: Int32, _ head: HTTP2RequestHead) {
        var fields = head.fields.map { ($0.name, $0.value) }
        if !head.authority.isEmpty, !fields.contains(where: { $0.0 == "host" }) {
            fields.append(("host", head.authority))
        }
        let headers = HTTPHeaders(fields)
        let length = headers["content-length"].flatMap { Int($0) }
        let requestHead = RequestHead(
            method: HTTPMethod(rawValue: head.method), target: head.path, version: .http1_1, headers: headers,
            framing: length.map { .contentLength($0) } ?? .none, keepAlive: true
        )
        var stream = StreamRequest(
            head: requestHead, isGRPC: GRPCContentType.isGRPC(headers["content-type"]),
            startedAt: .now, wireBytes: head.fields.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count }
        )
        let limit = server.configuration.http2Limits.maxBodyBytesPerStream
        if let length, length > limit {
            streams[id] = stream
            answer(id, Self.refusal(
                isGRPC: stream.isGRPC, .contentTooLarge, .resourceExhausted, "Request body is too large.",
                detail: "request message is larger than \(limit) bytes"
            ), route: "BadRequest")
            return
        }
        if let length { stream.body.reserveCapacity(length + 64) }
        streams[id] = stream
    }

    // MARK: requests and answers

    private func dispatch(_ id: Int32) {
        guard var stream = streams[id], !stream.dispatched, !stream.answered else { return }
        stream.dispatched = true
        if describer != nil { stream.readAt = .now }
        var request = HTTPRequest(
            head: stream.head, body: stream.body, startedAt: stream.startedAt, wireByteCount: stream.wireBytes,
            protocolVersion: .http2
        )
        stream.body = []
        // The route takes the body from here (an ingest route charges what it keeps to the budget itself);
        // released once the handler has returned, like HTTP/1.1.
        let charged = stream.charged
        stream.charged = 0
        defer {
            if charged > 0 { budget.release(charged, endsHold: true) }
            endExemption()
        }
        let answerNow: HTTPResponse
        switch server.router.match(method: stream.head.method, path: stream.head.path) {
        case .found(let route, let parameters):
            stream.route = route.template
            streams[id] = stream
            request.parameters = parameters
            switch route.handler(request) {
            case .now(let response):
                answerNow = response
            case .later(let pending):
                let ready = pending.builderOrObserve { [self] build in
                    connection.execute { self.answer(id, build(), route: nil) }
                }
                guard let ready else { return }
                answerNow = ready()
            }
        case .methodNotAllowed(let allowed):
            stream.route = "MethodNotAllowed"
            streams[id] = stream
            let allow = allowed.map { $0.rawValue }.joined(separator: ", ")
            answerNow = stream.isGRPC
                ? Self.grpcStatus(GRPCStatus(.unimplemented, "method \(stream.head.method.rawValue) is not served here"))
                : .jsonError(.methodNotAllowed, "method not allowed", headers: [("Allow", allow)])
        case .notFound:
            stream.route = "NotFound"
            streams[id] = stream
            answerNow = stream.isGRPC
                ? Self.grpcStatus(GRPCStatus(.unimplemented, "unknown service or method \(stream.head.path)"))
                : .jsonError(.notFound, "not found")
        case .badPath:
            stream.route = "BadRequest"
            streams[id] = stream
            answerNow = .jsonError(.badRequest, "malformed percent-encoding in path")
        }
        answer(id, answerNow, route: nil)
    }

    /// Sends `response` on stream `id` (dropped when the stream is gone) and reports it.
    private func answer(_ id: Int32, _ response: HTTPResponse, route: String?) {
        connection.assertOnLane()
        guard !closed, let stream = streams[id], !stream.answered else { return }
        streams[id]?.answered = true
        // Answered before its body was complete: the rest is dropped, and so is what was kept.
        if stream.charged > 0 {
            budget.release(stream.charged, endsHold: true)
            streams[id]?.charged = 0
            streams[id]?.body = []
        }
        let headers = response.headers.compactMap { name, value -> HTTP2HeaderField? in
            let lower = name.lowercased()
            // Connection-specific fields do not exist in HTTP/2 (RFC 9113 §8.2.2).
            if ["connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection"].contains(lower) { return nil }
            return HTTP2HeaderField(lower, value)
        }
        let trailers = response.trailers.map { HTTP2HeaderField($0.0.lowercased(), $0.1) }
        let omitBody = stream.head.method == .head
        let answeredAt = describer != nil ? ContinuousClock.now : stream.startedAt
        session.respond(
            streamID: id, status: response.status.code, headers: headers, body: omitBody ? [] : response.body,
            trailers: trailers
        )
        let now = ContinuousClock.now
        RequestSeriesCache.record(
            on: connection, observer: server.observer, route: route ?? stream.route, method: stream.head.method,
            status: response.status.code, protocolVersion: .http2, duration: now - stream.startedAt, wireBytes: stream.wireBytes
        )
        streamsAnswered += 1
        if let describer {
            let readAt = stream.readAt ?? answeredAt
            describer.requestAnswered(RequestRecord(
                route: route ?? stream.route, method: stream.head.method, status: response.status.code,
                protocolVersion: .http2, isGRPC: stream.isGRPC, head: stream.head, wireBytes: stream.wireBytes,
                startedAt: stream.startedAt, readAt: readAt, answeredAt: answeredAt, finishedAt: now,
                requestOnConnection: streamsAnswered, lane: connection.laneIndex, observation: response.observation
            ))
        }
        if !handlingEvents { flush() }
    }

    private func closeConnection(flushing: Bool) {
        guard !closed else { return }
        closed = true
        connection.setDeadline(.now + server.configuration.timeouts.writeTimeout)
        connection.close(flushingOutput: flushing)
    }

    static func metricReason(_ failure: HTTP2ConnectionFailure) -> String {
        switch failure {
        case .badPreface: "bad_preface"
        case .protocolError: "protocol_error"
        case .rapidReset: "rapid_reset"
        case .flooded: "flooded"
        case .internalError: "internal_error"
        }
    }

    // MARK: answers made here

    /// A refusal before routing: a gRPC status (HTTP 200, Trailers-Only) for gRPC requests, JSON otherwise.
    private static func refusal(
        isGRPC: Bool, _ status: HTTPStatus, _ code: GRPCStatusCode, _ message: String, detail: String
    ) -> HTTPResponse {
        isGRPC ? grpcStatus(GRPCStatus(code, detail)) : .jsonError(status, message)
    }

    /// A Trailers-Only gRPC answer: one HEADERS frame with the status fields.
    static func grpcStatus(_ status: GRPCStatus) -> HTTPResponse {
        HTTPResponse(
            status: .ok,
            headers: [("content-type", GRPCContentType.response)] + status.trailerFields.map { ($0.name, $0.value) }
        )
    }
}
