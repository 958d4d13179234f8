/// One request's header block as the client sent it on a stream: the pseudo-header fields split out, the
/// regular fields in wire order (names lower-case, as HTTP/2 requires; nghttp2 rejects upper-case names).
public struct HTTP2RequestHead: Sendable, Equatable {
    public var method: String
    /// `:path`, still percent-encoded, query included.
    public var path: String
    public var scheme: String
    public var authority: String
    public var fields: [HTTP2HeaderField]

    public init(method: String, path: String, scheme: String = "http", authority: String = "", fields: [HTTP2HeaderField] = []) {
        self.method = method
        self.path = path
        self.scheme = scheme
        self.authority = authority
        self.fields = fields
    }

    /// The first value of the regular field `name` (already lower-case on the wire; compared as given).
    public subscript(_ name: String) -> String? {
        fields.first { $0.name == name }?.value
    }
}

/// One header field: a lower-case name and its value.
public struct HTTP2HeaderField: Sendable, Equatable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}
