/// An incremental, zero-copy HTTP/1.1 request parser (RFC 9112): a pure value with no I/O, clock or
/// allocation on the body path.
///
/// The caller owns the bytes. It keeps a buffer of unconsumed input and loops:
/// `let (consumed, event) = parser.parse(buffer)`, handle `event`, drop `consumed` bytes, and call
/// again until `.needMore` (read more, append, call again) or `.error` (respond, close).
///
/// Per request the events are `.head`, zero or more `.body`, `.end`; then the next pipelined request
/// starts. A head is only consumed once it is complete (partial heads stay in the caller's buffer);
/// body bytes are handed out as they arrive.
///
/// Line endings: the request line and header lines accept CRLF or a bare LF (RFC 9112 §2.2 allows it;
/// Go, hyper and picohttpparser do too). Inside a chunked body (size lines, the CRLF after data,
/// trailers) only CRLF is accepted, because bare LF there is a known smuggling vector
/// (Go CVE-2025-22871). A bare CR anywhere is rejected (400). Empty lines (CRLF or LF) before a
/// request line are skipped and consumed; they do not count toward `maxHeaderBytes`.
///
/// Body size: for `Content-Length` above `maxBodyBytes` the parser still returns `.head` (framing
/// `.contentLength(n)` with the real n, so the server knows method, target and keep-alive), and the
/// very next `parse` call returns `.error(.payloadTooLarge)` without consuming anything. Chunked
/// bodies fail with `.error(.payloadTooLarge)` as soon as a chunk-size line would take the sum of
/// chunk sizes past `maxBodyBytes`, before any of that chunk's data is delivered.
public struct RequestParser: Sendable {
    /// The limits in force (negative values clamped to 0).
    public let limits: ParserLimits

    enum State: Sendable {
        case idle
        case head
        case fixedBody(remaining: Int)
        /// The head announced a Content-Length above `maxBodyBytes`; the next call reports it.
        case bodyTooLarge
        case chunkSizeLine
        case chunkData(remaining: Int)
        case chunkDataEnd(sawCR: Bool)
        case trailers(bytesSoFar: Int)
        case failed(HTTPParseError)
    }

    var state: State = .idle
    var headScan = HeadScan()
    /// For chunk-size and trailer lines: bytes of the pending line already searched for LF.
    var lineSearchedBytes = 0
    /// Sum of the chunk sizes announced so far in this request.
    var chunkedBodyBytes = 0

    public init(limits: ParserLimits = .init()) {
        self.limits = limits.clamped
    }

    /// Forgets everything about the current request, including a terminal error.
    /// Not needed between requests: after `.end` the parser is ready for the next one.
    public mutating func reset() {
        state = .idle
        headScan.reset()
        lineSearchedBytes = 0
        chunkedBodyBytes = 0
    }

    /// Parses from `input` (the caller's unconsumed bytes) and returns how many of them were consumed
    /// plus one event; see the type's documentation for the calling loop.
    /// `consumed` is always within `0...input.count`.
    public mutating func parse(_ input: UnsafeRawBufferPointer) -> (consumed: Int, event: ParseEvent) {
        guard let base = input.baseAddress, input.count > 0 else {
            return parseEmptyInput()
        }
        let count = input.count
        var offset = 0
        while true {
            switch state {
            case .idle:
                offset = skipEmptyLines(base, from: offset, count: count)
                if offset == count || (base.byte(at: offset) == ByteScan.cr && offset + 1 == count) {
                    return (offset, .needMore)
                }
                state = .head

            case .head:
                return parseHead(base + offset, count: count - offset, skipped: offset)

            case .fixedBody(let remaining):
                if remaining == 0 {
                    finishRequest()
                    return (offset, .end)
                }
                if offset == count { return (offset, .needMore) }
                let taken = min(remaining, count - offset)
                state = .fixedBody(remaining: remaining - taken)
                return (offset + taken, .body(offset..<(offset + taken)))

            case .bodyTooLarge:
                return fail(.payloadTooLarge, consumed: offset)

            case .chunkSizeLine:
                switch parseChunkSizeLine(base, from: offset, count: count) {
                case .needMore:
                    return (offset, .needMore)
                case .failure(let error):
                    return fail(error, consumed: offset)
                case .line(let next, let size):
                    offset = next
                    if size == 0 {
                        state = .trailers(bytesSoFar: 0)
                    } else if size > limits.maxBodyBytes - chunkedBodyBytes {
                        return fail(.payloadTooLarge, consumed: offset)
                    } else {
                        chunkedBodyBytes += size
                        state = .chunkData(remaining: size)
                    }
                }

            case .chunkData(let remaining):
                if offset == count { return (offset, .needMore) }
                let taken = min(remaining, count - offset)
                state = taken == remaining ? .chunkDataEnd(sawCR: false) : .chunkData(remaining: remaining - taken)
                return (offset + taken, .body(offset..<(offset + taken)))

            case .chunkDataEnd(let sawCR):
                if offset == count { return (offset, .needMore) }
                let expected = sawCR ? ByteScan.lf : ByteScan.cr
                guard base.byte(at: offset) == expected else {
                    return fail(.badRequest("missing CRLF after chunk data"), consumed: offset)
                }
                offset += 1
                state = sawCR ? .chunkSizeLine : .chunkDataEnd(sawCR: true)

            case .trailers(let bytesSoFar):
                switch parseTrailerLine(base, from: offset, count: count, bytesSoFar: bytesSoFar) {
                case .needMore:
                    return (offset, .needMore)
                case .failure(let error):
                    return fail(error, consumed: offset)
                case .endOfTrailers(let next):
                    finishRequest()
                    return (next, .end)
                case .field(let next, let lineBytes):
                    offset = next
                    state = .trailers(bytesSoFar: bytesSoFar + lineBytes)
                }

            case .failed(let error):
                return (0, .error(error))
            }
        }
    }

    /// States that can make progress without bytes still do so on an empty input.
    private mutating func parseEmptyInput() -> (consumed: Int, event: ParseEvent) {
        switch state {
        case .fixedBody(remaining: 0):
            finishRequest()
            return (0, .end)
        case .bodyTooLarge:
            return fail(.payloadTooLarge, consumed: 0)
        case .failed(let error):
            return (0, .error(error))
        default:
            return (0, .needMore)
        }
    }

    /// Skips CRLF and bare-LF empty lines before a request line (RFC 9112 §2.2).
    private func skipEmptyLines(_ base: UnsafeRawPointer, from start: Int, count: Int) -> Int {
        var offset = start
        while offset < count {
            let byte = base.byte(at: offset)
            if byte == ByteScan.lf {
                offset += 1
            } else if byte == ByteScan.cr && offset + 1 < count && base.byte(at: offset + 1) == ByteScan.lf {
                offset += 2
            } else {
                break
            }
        }
        return offset
    }

    mutating func finishRequest() {
        state = .idle
        lineSearchedBytes = 0
        chunkedBodyBytes = 0
    }

    mutating func fail(_ error: HTTPParseError, consumed: Int) -> (consumed: Int, event: ParseEvent) {
        state = .failed(error)
        return (consumed, .error(error))
    }
}
