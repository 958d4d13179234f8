/// A request body's `Content-Encoding`, as Honeycomb's clients send it: none, `gzip` (libhoney-py) or
/// `zstd` (libhoney-go, Refinery). `deflate`, `br` and stacked encodings are not accepted (Refinery does
/// not accept them either); the caller answers those with ``IngestError/unsupportedContentEncoding``.
public enum ContentEncoding: Sendable, Equatable {
    case identity, gzip, zstd

    /// Parses a `Content-Encoding` header value: case-insensitive, surrounding spaces and tabs ignored.
    /// nil, empty and `identity` mean no encoding; `x-gzip` is an alias of `gzip`. Anything else,
    /// including a list such as `gzip, zstd`, is nil (the caller answers 415).
    public init?(headerValue: String?) {
        guard let headerValue else {
            self = .identity
            return
        }
        var value = Substring(headerValue.lowercased())
        while value.first == " " || value.first == "\t" { value.removeFirst() }
        while value.last == " " || value.last == "\t" { value.removeLast() }
        switch value {
        case "", "identity": self = .identity
        case "gzip", "x-gzip": self = .gzip
        case "zstd": self = .zstd
        default: return nil
        }
    }
}
