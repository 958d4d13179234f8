/// A parsed request head plus the facts derived from it that the server acts on.
public struct RequestHead: Sendable, Equatable {
    public var method: HTTPMethod
    /// The raw request-target, still percent-encoded, e.g. `/1/batch/my%20ds?x=1`.
    /// Always printable ASCII: the parser rejects anything else.
    public var target: String
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    public var framing: BodyFraming
    /// Whether the client allows another request on this connection after this one:
    /// HTTP/1.1 unless a Connection `close` token; HTTP/1.0 only with a Connection `keep-alive` token
    /// (and no `close`). Tokens are matched case-insensitively across all Connection fields.
    public var keepAlive: Bool
    /// HTTP/1.1, an Expect field with a `100-continue` member, and a body is announced
    /// (chunked, or Content-Length > 0): the server should send `100 Continue` before reading the body
    /// (or answer the final status straight away). Expect on HTTP/1.0 is ignored (RFC 9110 §10.1.1);
    /// other expectations are ignored too (RFC 9110 allows, not requires, 417) and stay visible in `headers`.
    public var expectsContinue: Bool

    public init(
        method: HTTPMethod,
        target: String,
        version: HTTPVersion = .http1_1,
        headers: HTTPHeaders = HTTPHeaders(),
        framing: BodyFraming = .none,
        keepAlive: Bool = true,
        expectsContinue: Bool = false
    ) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.framing = framing
        self.keepAlive = keepAlive
        self.expectsContinue = expectsContinue
    }

    /// The target without its query, as a view into `target` (computed, so it never goes stale).
    /// Origin-form `/a/b?x` → `/a/b`; asterisk-form → `*`;
    /// absolute-form `http://h:1/a?x` → `/a` (and `/` when the path is empty).
    public var path: Substring {
        let utf8 = target.utf8
        var start = utf8.startIndex
        if let first = utf8.first, first != UInt8(ascii: "/"), first != UInt8(ascii: "*") {
            // absolute-form: skip "scheme://authority".
            guard let schemeEnd = utf8.firstIndex(of: UInt8(ascii: ":")) else { return target[...] }
            var authorityStart = utf8.index(after: schemeEnd)
            if utf8[authorityStart...].starts(with: "//".utf8) {
                authorityStart = utf8.index(authorityStart, offsetBy: 2)
            }
            guard let pathStart = utf8[authorityStart...].firstIndex(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") }),
                  utf8[pathStart] == UInt8(ascii: "/")
            else { return "/" }
            start = pathStart
        }
        let end = utf8[start...].firstIndex(of: UInt8(ascii: "?")) ?? utf8.endIndex
        return target[start..<end]
    }

    /// The query after the first `?`, without the `?`; nil when the target has none.
    public var query: Substring? {
        guard let mark = target.utf8.firstIndex(of: UInt8(ascii: "?")) else { return nil }
        return target[target.utf8.index(after: mark)...]
    }
}
