/// Scratch state of a head that has arrived only partly. Offsets are relative to the first byte of
/// the request line; the caller re-feeds the same bytes (plus more) until the head completes, so the
/// lines already validated are never looked at again and a growing line is only searched from where
/// the last search stopped (picohttpparser's `last_len`).
struct HeadScan: Sendable {
    /// The parsed request line, once its line is complete.
    struct RequestLine: Sendable {
        var methodEnd: Int
        var targetStart: Int
        var targetEnd: Int
        var version: HTTPVersion
    }

    /// What the header fields seen so far say about framing and connection handling.
    struct FieldSummary: Sendable {
        var contentLength: Int?
        var hasTransferEncoding = false
        var connectionClose = false
        var connectionKeepAlive = false
        var expectsContinue = false
        var hostCount = 0
    }

    var requestLine: RequestLine?
    /// Start of the first line not yet validated.
    var lineStart = 0
    /// Bytes from `lineStart` on already searched for LF without finding one.
    var searchedBytes = 0
    /// Validated fields so far; its capacity is reused from request to request.
    var fields: [FieldRange] = []
    var summary = FieldSummary()

    mutating func reset() {
        requestLine = nil
        lineStart = 0
        searchedBytes = 0
        fields.removeAll(keepingCapacity: true)
        summary = FieldSummary()
    }
}

extension UnsafeRawPointer {
    @inline(__always)
    func byte(at offset: Int) -> UInt8 {
        load(fromByteOffset: offset, as: UInt8.self)
    }
}
