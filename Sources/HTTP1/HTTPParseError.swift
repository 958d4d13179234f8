/// Why a request could not be parsed. Every case maps to the status the server should answer with
/// before closing the connection; the parser is in a terminal state once it reports one.
public enum HTTPParseError: Error, Equatable, Sendable {
    /// 400. The reason is a short fixed text (never client bytes), safe to log or send.
    case badRequest(String)
    /// 414. The request line is longer than `ParserLimits.maxRequestLineBytes`.
    case uriTooLong
    /// 431. Too many header bytes, too many header fields, or too many trailer bytes.
    case headerFieldsTooLarge
    /// 413. Content-Length above `maxBodyBytes`, or chunk sizes adding up past it.
    case payloadTooLarge
    /// 411. Never produced by `RequestParser` (a request without framing simply has no body);
    /// kept so the server layer can express "body required" with the same type.
    case lengthRequired
    /// 501. A Transfer-Encoding other than exactly `chunked`.
    case notImplemented(String)
    /// 505. A well-formed HTTP version other than 1.x (`HTTP/2.0`, `HTTP/0.9`, `HTTP/3`).
    case versionNotSupported

    public var status: HTTPStatus {
        switch self {
        case .badRequest: .badRequest
        case .uriTooLong: .uriTooLong
        case .headerFieldsTooLarge: .requestHeaderFieldsTooLarge
        case .payloadTooLarge: .contentTooLarge
        case .lengthRequired: .lengthRequired
        case .notImplemented: .notImplemented
        case .versionNotSupported: .httpVersionNotSupported
        }
    }
}
