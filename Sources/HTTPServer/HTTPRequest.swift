public import HTTP1

/// A complete request as the router hands it to a route: the parsed head, the whole body, and the path
/// parameters of the matched route (percent-decoded).
public struct HTTPRequest: Sendable {
    public var head: RequestHead
    /// Body bytes (de-chunked). Capacity includes spare room so decoders that need trailing padding
    /// (simdjson) can usually work in place.
    public var body: [UInt8]
    /// Path parameters by template name, e.g. `["dataset": "my data/set"]` for `/1/batch/{dataset}`.
    public var parameters: [String: String]
    /// When the request's first byte arrived; request durations are measured from here.
    public var startedAt: ContinuousClock.Instant
    /// Bytes on the wire: head plus body as framed.
    public var wireByteCount: Int
    /// The HTTP version the request came over (HTTP/2 streams carry gRPC).
    public var protocolVersion: HTTPProtocolVersion

    public init(
        head: RequestHead, body: [UInt8], parameters: [String: String] = [:],
        startedAt: ContinuousClock.Instant, wireByteCount: Int, protocolVersion: HTTPProtocolVersion = .http1_1
    ) {
        self.head = head
        self.body = body
        self.parameters = parameters
        self.startedAt = startedAt
        self.wireByteCount = wireByteCount
        self.protocolVersion = protocolVersion
    }

    public var method: HTTPMethod { head.method }
}
