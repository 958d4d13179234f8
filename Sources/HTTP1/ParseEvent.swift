/// One result of `RequestParser.parse(_:)`. Per request the order is always
/// `.head`, zero or more `.body`, `.end`, with `.needMore` wherever input runs out;
/// `.error` can replace any of them and is terminal.
public enum ParseEvent: Sendable, Equatable {
    /// No further progress is possible with these bytes. `consumed` may be 0 or more: drop that many,
    /// keep the unconsumed tail and call again with it plus the next bytes read.
    case needMore
    /// A complete request head. `consumed` covers it (and any empty lines skipped before it).
    case head(RequestHead)
    /// Body data, already de-chunked: a slice of the input passed to this call, always inside the
    /// `consumed` prefix. Copy it before dropping the consumed bytes.
    case body(Range<Int>)
    /// The request is complete; the parser is ready for the next (pipelined) request.
    case end
    /// The request is malformed or over a limit. The parser stays in this state (every later call
    /// returns the same error) until `reset()`; the connection must be closed after the error response.
    case error(HTTPParseError)
}
