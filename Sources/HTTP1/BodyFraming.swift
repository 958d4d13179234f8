/// How the request body is delimited, as decided from the head (RFC 9112 §6.3).
public enum BodyFraming: Sendable, Equatable {
    /// Neither Content-Length nor Transfer-Encoding: no body, whatever the method.
    case none
    /// Exactly this many body bytes follow the head (may exceed `maxBodyBytes`; see `RequestParser`).
    case contentLength(Int)
    /// Transfer-Encoding: chunked; the parser delivers de-chunked data.
    case chunked
}
