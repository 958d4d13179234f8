/// The HTTP version a request arrived over, and the `protocol` label of the request metrics
/// (the ALPN identifiers).
public enum HTTPProtocolVersion: String, Sendable, Equatable {
    case http1_1 = "http/1.1"
    case http2 = "h2"
}
