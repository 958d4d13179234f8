internal import CNGHTTP2

/// The server side of one HTTP/2 connection, free of I/O: bytes from the client go in through
/// ``receive(_:now:)``, stream events come out of ``takeEvents()``, answers go in through
/// ``respond(streamID:status:headers:body:trailers:)``, and the bytes to send come out of
/// ``writeOutput(_:)``. HPACK, stream states, SETTINGS, flow-control windows and GOAWAY are nghttp2's;
/// this type adds Kelpie's limits: header list and body caps per stream, the reset cap, graceful drain.
///
/// Not thread-safe: one owner (the connection driver, on its lane) calls everything.
public final class HTTP2Session {
    public let limits: HTTP2Limits
    /// nghttp2_session*; set once in init.
    private var session: OpaquePointer!
    var events: [HTTP2Event] = []
    var streams: [Int32: StreamState] = [:]
    var resetLimiter: StreamResetRateLimiter
    /// The time of the bytes being processed, for the reset cap.
    var now: ContinuousClock.Instant = .now
    var failure: HTTP2ConnectionFailure?
    public private(set) var isDraining = false
    private var finalGoAwaySubmitted = false

    /// Per-stream state nghttp2 does not keep for us.
    struct StreamState {
        var head = HTTP2RequestHead(method: "", path: "", scheme: "", authority: "")
        var headerListBytes = 0
        var headerListTooLarge = false
        var bodyBytes = 0
        var bodyTooLarge = false
        /// END_STREAM arrived from the client.
        var requestEnded = false
        var responded = false
        var response: PendingResponse?
    }

    /// A response body being sent, and the trailers that follow it.
    struct PendingResponse {
        var body: [UInt8]
        var offset = 0
        var trailers: [(name: String, value: String)]
    }

    public init(limits: HTTP2Limits = HTTP2Limits()) {
        let limits = limits.clamped
        self.limits = limits
        self.resetLimiter = StreamResetRateLimiter(burst: limits.streamResetBurst, perSecond: limits.streamResetsPerSecond)

        var callbacks: OpaquePointer?
        precondition(nghttp2_session_callbacks_new(&callbacks) == 0, "nghttp2: out of memory")
        defer { nghttp2_session_callbacks_del(callbacks) }
        Self.install(callbacks)
        var option: OpaquePointer?
        precondition(nghttp2_option_new(&option) == 0, "nghttp2: out of memory")
        defer { nghttp2_option_del(option) }
        // Flow control follows what the layer above has taken (consume), not what arrived.
        nghttp2_option_set_no_auto_window_update(option, 1)
        // Closed streams are not kept for RFC 7540 priorities, which Kelpie ignores.
        nghttp2_option_set_no_closed_streams(option, 1)

        var created: OpaquePointer?
        let userData = Unmanaged.passUnretained(self).toOpaque()
        precondition(nghttp2_session_server_new2(&created, callbacks, userData, option) == 0, "nghttp2: out of memory")
        session = created

        var settings = [
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue), value: UInt32(limits.maxConcurrentStreams)),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE.rawValue), value: UInt32(limits.maxHeaderListBytes)),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_FRAME_SIZE.rawValue), value: UInt32(limits.maxFrameBytes)),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue), value: UInt32(limits.initialStreamWindowBytes)),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_ENABLE_PUSH.rawValue), value: 0),
        ]
        _ = nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &settings, settings.count)
        _ = nghttp2_session_set_local_window_size(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, Int32(limits.connectionWindowBytes))
    }

    deinit {
        nghttp2_session_del(session)
    }

    // MARK: input

    /// Processes bytes from the client. Events (and output, such as SETTINGS acks and WINDOW_UPDATEs)
    /// are then ready to take. A protocol error nghttp2 finds is reported (``HTTP2Event/connectionFailed(_:)``)
    /// when its GOAWAY is written, so take events after ``writeOutput(_:)`` too.
    public func receive(_ bytes: UnsafeRawBufferPointer, now: ContinuousClock.Instant) {
        guard failure == nil, !bytes.isEmpty else { return }
        self.now = now
        let result = nghttp2_session_mem_recv(session, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), bytes.count)
        guard result < 0 else { return }
        switch Int32(result) {
        case NGHTTP2_ERR_BAD_CLIENT_MAGIC.rawValue:
            fail(.badPreface, code: .protocolError)
        case NGHTTP2_ERR_FLOODED.rawValue:
            fail(.flooded, code: .enhanceYourCalm)
        default:
            fail(.internalError, code: .internalError)
        }
    }

    public func receive(_ bytes: [UInt8], now: ContinuousClock.Instant) {
        bytes.withUnsafeBytes { receive($0, now: now) }
    }

    /// The events found since the last call, in order.
    public func takeEvents() -> [HTTP2Event] {
        defer { events.removeAll(keepingCapacity: true) }
        return events
    }

    /// Tells nghttp2 the layer above has taken `byteCount` body bytes of the stream, so the client's
    /// stream and connection windows open again by that much (a WINDOW_UPDATE once enough accrued).
    public func consume(streamID: Int32, byteCount: Int) {
        guard byteCount > 0 else { return }
        if nghttp2_session_consume(session, streamID, byteCount) != 0 {
            // The stream is gone; its bytes still count against the connection window.
            _ = nghttp2_session_consume_connection(session, byteCount)
        }
    }

    // MARK: output

    /// Answers a request: `:status`, `headers`, then `body` in DATA frames (as flow control allows), then
    /// `trailers` in a final HEADERS frame. With no body and no trailers the answer is one HEADERS frame
    /// with END_STREAM (gRPC's Trailers-Only form when `headers` carry the status). Returns false when the
    /// stream is gone or was answered already (the answer is dropped).
    @discardableResult
    public func respond(
        streamID: Int32, status: Int, headers: [HTTP2HeaderField] = [], body: [UInt8] = [],
        trailers: [HTTP2HeaderField] = []
    ) -> Bool {
        guard failure == nil, var stream = streams[streamID], !stream.responded else { return false }
        stream.responded = true
        let fields = [(name: ":status", value: String(status))] + headers.map { (name: $0.name, value: $0.value) }
        let result: Int32
        if body.isEmpty && trailers.isEmpty {
            streams[streamID] = stream
            result = HeaderBlock.withNameValues(fields) { nghttp2_submit_response(session, streamID, $0, $1, nil) }
        } else {
            stream.response = PendingResponse(body: body, trailers: trailers.map { (name: $0.name, value: $0.value) })
            streams[streamID] = stream
            var provider = nghttp2_data_provider(source: nghttp2_data_source(ptr: nil), read_callback: Self.readResponseBody)
            result = HeaderBlock.withNameValues(fields) { nghttp2_submit_response(session, streamID, $0, $1, &provider) }
        }
        return result == 0
    }

    /// Writes every frame ready to send, in pieces; `write` must take (copy) each piece during the call.
    /// Sending may close streams, so events can be ready afterwards.
    public func writeOutput(_ write: (UnsafeRawBufferPointer) -> Void) {
        while true {
            var data: UnsafePointer<UInt8>?
            let count = nghttp2_session_mem_send(session, &data)
            if count < 0 {
                fail(.internalError, code: .internalError)
                return
            }
            guard count > 0, let data else { return }
            write(UnsafeRawBufferPointer(start: data, count: count))
        }
    }

    /// Every frame ready to send, as one array (tests and simple callers).
    public func takeOutput() -> [UInt8] {
        var output: [UInt8] = []
        writeOutput { output.append(contentsOf: $0) }
        return output
    }

    // MARK: connection lifetime

    /// True once nothing more will be read or written: after a GOAWAY with no stream left, or a failure
    /// whose GOAWAY went out. The driver closes the socket then.
    public var isFinished: Bool {
        nghttp2_session_want_read(session) == 0 && nghttp2_session_want_write(session) == 0
    }

    /// Streams open now (requests received and not yet closed).
    public var openStreamCount: Int { streams.count }

    /// Graceful drain: a GOAWAY announcing shutdown (last stream id 2^31-1) and a PING; when the PING
    /// comes back every stream the client started in flight has arrived, and the final GOAWAY names the
    /// last one. Streams in progress finish; then ``isFinished`` turns true.
    public func drain() {
        guard !isDraining, failure == nil else { return }
        isDraining = true
        _ = nghttp2_submit_shutdown_notice(session)
        sendPing()
    }

    /// The final GOAWAY (NO_ERROR) now: no new stream is accepted, open ones finish. For drain after the
    /// PING round trip, for an idle connection, and for a drain whose PING never came back.
    public func goAway() {
        guard !finalGoAwaySubmitted, failure == nil else { return }
        finalGoAwaySubmitted = true
        isDraining = true
        _ = nghttp2_submit_goaway(
            session, UInt8(NGHTTP2_FLAG_NONE.rawValue), nghttp2_session_get_last_proc_stream_id(session),
            HTTP2ErrorCode.noError.rawValue, nil, 0
        )
    }

    /// Sends a PING; ``HTTP2Event/pingAcknowledged`` follows when the client answers.
    public func sendPing() {
        _ = nghttp2_submit_ping(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), nil)
    }

    /// Ends the connection at once with GOAWAY `code` and reports `reason` as an event.
    func fail(_ reason: HTTP2ConnectionFailure, code: HTTP2ErrorCode) {
        guard failure == nil else { return }
        failure = reason
        events.append(.connectionFailed(reason))
        _ = nghttp2_session_terminate_session(session, code.rawValue)
    }

    func pingAcknowledged() {
        events.append(.pingAcknowledged)
        if isDraining { goAway() }
    }

    /// The answer to a header list over the cap; the request itself is never handed on.
    func refuseHeaderList(streamID: Int32) {
        events.append(.headerListTooLarge(streamID: streamID))
        respond(streamID: streamID, status: 431, headers: [HTTP2HeaderField("content-length", "0")])
    }

    /// An answer that ends the stream while the client is still sending: reset the rest of the upload
    /// with NO_ERROR (RFC 9113 §8.1), so the client stops and the windows are not spent on it.
    func responseEnded(streamID: Int32) {
        guard let stream = streams[streamID], !stream.requestEnded else { return }
        _ = nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), streamID, HTTP2ErrorCode.noError.rawValue)
    }

    func consumeConnection(_ byteCount: Int) {
        _ = nghttp2_session_consume_connection(session, byteCount)
    }

    func submitTrailers(streamID: Int32, _ trailers: [(name: String, value: String)]) -> Bool {
        HeaderBlock.withNameValues(trailers) { nghttp2_submit_trailer(session, streamID, $0, $1) } == 0
    }

    /// A client RST_STREAM: past the cap the connection ends with ENHANCE_YOUR_CALM.
    func resetReceived() {
        if !resetLimiter.allowReset(at: now) {
            fail(.rapidReset, code: .enhanceYourCalm)
        }
    }

    /// nghttp2 sent a GOAWAY; one with an error code it queued itself means a protocol error.
    func goAwaySent(errorCode: UInt32) {
        guard errorCode != HTTP2ErrorCode.noError.rawValue, failure == nil else { return }
        failure = .protocolError
        events.append(.connectionFailed(.protocolError))
    }

    static func from(_ userData: UnsafeMutableRawPointer?) -> HTTP2Session {
        Unmanaged<HTTP2Session>.fromOpaque(userData!).takeUnretainedValue()
    }
}
