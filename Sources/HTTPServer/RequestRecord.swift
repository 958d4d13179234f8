public import HTTP1

/// One answered request as the server saw it, for observers that describe every request (self-telemetry;
/// see ``HTTPServerObserver/describesRequests``). Durations split the request's time on the server:
/// `read` (first byte to the request complete) + `handle` (routing and the route's work, a durable ingest's
/// fsync wait included) + `write` (the answer encoded and handed to the socket, or to HTTP/2 framing) =
/// `duration`.
public struct RequestRecord: Sendable {
    /// The matched template, or a fixed label as in ``HTTPServerObserver/requestSeries(route:method:status:protocolVersion:)``.
    public var route: String
    public var method: HTTPMethod
    public var status: Int
    public var protocolVersion: HTTPProtocolVersion
    /// An HTTP/2 stream with a gRPC content type.
    public var isGRPC: Bool
    /// The request head, for the fields an observer wants (looked up only by those that keep the record);
    /// nil when the request failed before its head was complete.
    public var head: RequestHead?
    /// Head plus body bytes as framed on the wire (HTTP/2: header field bytes plus DATA payload).
    public var wireBytes: Int
    /// The instants the durations are made of (kept as instants: a record sampled out is never subtracted).
    public var startedAt: ContinuousClock.Instant
    public var readAt: ContinuousClock.Instant
    public var answeredAt: ContinuousClock.Instant
    public var finishedAt: ContinuousClock.Instant
    /// 1 for the first request of a connection (a new connection), 2 and up on a reused one.
    public var requestOnConnection: Int
    /// The I/O lane that served the connection.
    public var lane: Int
    /// What the route attached to its answer (``HTTPResponse/observation``), opaque to the server.
    public var observation: (any Sendable)?

    public var readDuration: Duration { readAt - startedAt }
    public var handleDuration: Duration { answeredAt - readAt }
    public var writeDuration: Duration { finishedAt - answeredAt }
    public var duration: Duration { finishedAt - startedAt }
}
