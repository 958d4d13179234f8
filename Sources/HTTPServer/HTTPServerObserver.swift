public import HTTP1

/// What the server reports about its traffic; the composition root turns these into metrics.
/// Calls come from I/O lanes, concurrently: implementations must be cheap and thread-safe.
public protocol HTTPServerObserver: Sendable {
    /// Where requests of one kind are counted. `route` is the matched template, or a fixed label
    /// (`NotFound`, `MethodNotAllowed`, `BadRequest`, `Timeout`) so the label set stays bounded; `protocolVersion`
    /// is the HTTP version the request came over. Each lane asks once per kind and keeps the answer, so
    /// answering a request takes no process-wide lock.
    func requestSeries(route: String, method: HTTPMethod, status: Int, protocolVersion: HTTPProtocolVersion) -> any RequestSeries
    func connectionOpened()
    func connectionClosed()
    /// An HTTP/2 connection the server ended with GOAWAY for misbehaving (`reason`: `rapid_reset`,
    /// `protocol_error`, `bad_preface`, `flooded`, `internal_error`).
    func http2ConnectionFailed(reason: String)
    /// True when the observer wants one ``RequestRecord`` per answered request (self-telemetry). Asked once,
    /// when the server is made; when false the server measures and builds nothing for it.
    var describesRequests: Bool { get }
    /// One answered request, on the connection's lane right after its answer was written: keep it cheap.
    func requestAnswered(_ record: RequestRecord)
    /// A connection stopped reading a body because the memory budget was spent.
    func memoryBudgetWaited()
    /// A request was answered 503 because the memory budget had no room for its body.
    func memoryBudgetRefused()
}

/// The series one kind of request is recorded in (see ``HTTPServerObserver/requestSeries(route:method:status:protocolVersion:)``).
public protocol RequestSeries: Sendable {
    /// One request answered.
    func record(duration: Duration, wireBytes: Int)
}

extension HTTPServerObserver {
    public func connectionOpened() {}
    public func connectionClosed() {}
    public func http2ConnectionFailed(reason: String) {}
    public var describesRequests: Bool { false }
    public func requestAnswered(_ record: RequestRecord) {}
    public func memoryBudgetWaited() {}
    public func memoryBudgetRefused() {}
}
