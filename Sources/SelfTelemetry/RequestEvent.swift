/// One request as self-telemetry describes it: the server's view (route, status, bytes, timings,
/// connection) and, for ingest routes, the admission's (``IngestFacts``). Plain values, encoded to JSON on
/// the sender's thread, never on the lane.
public struct RequestEvent: Sendable {
    public var route: String
    public var method: String
    public var status: Int
    /// `http/1.1`, `h2` or `grpc`.
    public var protocolName: String
    /// Request head plus body bytes on the wire.
    public var requestBytes: Int
    public var contentType: String?
    public var userAgent: String?
    public var duration: Duration
    public var read: Duration
    public var handle: Duration
    public var write: Duration
    /// False for the first request of a connection.
    public var connectionReused: Bool
    public var lane: Int
    public var ingest: IngestFacts?

    public init(
        route: String, method: String, status: Int, protocolName: String, requestBytes: Int,
        contentType: String?, userAgent: String?, duration: Duration, read: Duration, handle: Duration,
        write: Duration, connectionReused: Bool, lane: Int, ingest: IngestFacts?
    ) {
        self.route = route
        self.method = method
        self.status = status
        self.protocolName = protocolName
        self.requestBytes = requestBytes
        self.contentType = contentType
        self.userAgent = userAgent
        self.duration = duration
        self.read = read
        self.handle = handle
        self.write = write
        self.connectionReused = connectionReused
        self.lane = lane
        self.ingest = ingest
    }

    /// An error or a refusal: always kept, whatever the sample rate. gRPC refusals answer HTTP 200, so the
    /// refusal counts as much as the status.
    public var alwaysKept: Bool { status >= 400 || ingest?.refusal != nil }

    /// The event's `data` members (docs/dogfood.md lists them), text fields cut at `maxFieldBytes`.
    func write(to writer: inout JSONObjectWriter, maxFieldBytes: Int) {
        func cut(_ text: String?) -> String? {
            guard let text, text.utf8.count > maxFieldBytes else { return text }
            // Cut on a character boundary: back off while the first byte left out continues a sequence.
            let bytes = Array(text.utf8.prefix(maxFieldBytes + 1))
            var end = maxFieldBytes
            while end > 0, bytes[end] & 0xC0 == 0x80 { end -= 1 }
            return String(decoding: bytes[..<end], as: UTF8.self)
        }
        writer.string("kind", "request")
        writer.string("route", route)
        writer.string("method", method)
        writer.int("status", status)
        writer.string("protocol", protocolName)
        writer.string("refusal", ingest?.refusal)
        writer.string("dataset", cut(ingest?.dataset))
        writer.string("format", ingest?.format)
        if let ingest {
            writer.int("events_accepted", ingest.eventsAccepted)
            writer.int("events_rejected", ingest.eventsRejected)
        }
        writer.int("request_bytes", requestBytes)
        writer.int("body_bytes", ingest?.bodyBytes)
        writer.int("decoded_bytes", ingest?.decodedBytes)
        writer.string("content_type", cut(contentType))
        writer.string("content_encoding", ingest?.contentEncoding)
        writer.microseconds("duration_us", duration)
        writer.microseconds("read_us", read)
        writer.microseconds("handle_us", handle)
        writer.microseconds("decode_us", ingest?.decodeDuration)
        writer.microseconds("durability_wait_us", ingest?.durabilityWait)
        writer.microseconds("write_us", write)
        writer.string("key_id", ingest?.keyID)
        writer.string("user_agent", cut(userAgent))
        writer.string("connection", connectionReused ? "reused" : "new")
        writer.int("lane", lane)
    }
}
