/// The request's protocol version. `HTTP/1.2` … `HTTP/1.9` parse as `.http1_1`
/// (RFC 9110 §6.2: a higher minor version is processed as the highest one implemented).
public enum HTTPVersion: Sendable, Hashable {
    case http1_0
    case http1_1
}
