/// Request line and header fields (RFC 9112 §3, §5). Lines are validated once, as soon as they are
/// complete, so a bad line fails before the rest of the head arrives and a slow drip never
/// rescans validated bytes.
extension RequestParser {
    /// Parses the head starting at `head` (the request line's first byte). `skipped` bytes of empty
    /// lines before it were already passed over in this call and are consumed with any result.
    mutating func parseHead(_ head: UnsafeRawPointer, count: Int, skipped: Int) -> (consumed: Int, event: ParseEvent) {
        let maxHeadBytes = limits.maxHeaderBytes
        if headScan.lineStart > count {
            // The caller re-fed fewer bytes than before, breaking the contract; start over safely.
            headScan.reset()
        }

        if headScan.requestLine == nil {
            // Past `window` bytes without LF the line is over one limit or the other, whichever is hit first.
            let maxLineBytes = limits.maxRequestLineBytes
            let window = min(maxLineBytes + 2, maxHeadBytes)
            let searchEnd = min(count, window)
            let searchFrom = min(headScan.searchedBytes, searchEnd)
            guard let lineFeed = ByteScan.firstLineFeed(head, from: searchFrom, to: searchEnd) else {
                if count >= window {
                    return fail(maxLineBytes + 2 <= maxHeadBytes ? .uriTooLong : .headerFieldsTooLarge, consumed: skipped)
                }
                headScan.searchedBytes = searchEnd
                return (skipped, .needMore)
            }
            let contentEnd = lineFeed > 0 && head.byte(at: lineFeed - 1) == ByteScan.cr ? lineFeed - 1 : lineFeed
            if contentEnd > maxLineBytes {
                return fail(.uriTooLong, consumed: skipped)
            }
            switch Self.parseRequestLine(head, end: contentEnd) {
            case .success(let requestLine):
                headScan.requestLine = requestLine
            case .failure(let error):
                return fail(error, consumed: skipped)
            }
            headScan.lineStart = lineFeed + 1
            headScan.searchedBytes = 0
        }

        let searchEnd = min(count, maxHeadBytes)
        while true {
            let lineStart = headScan.lineStart
            let searchFrom = lineStart + min(headScan.searchedBytes, max(searchEnd - lineStart, 0))
            guard let lineFeed = ByteScan.firstLineFeed(head, from: searchFrom, to: searchEnd) else {
                if count >= maxHeadBytes {
                    return fail(.headerFieldsTooLarge, consumed: skipped)
                }
                headScan.searchedBytes = searchEnd - lineStart
                return (skipped, .needMore)
            }
            let contentEnd = lineFeed > lineStart && head.byte(at: lineFeed - 1) == ByteScan.cr ? lineFeed - 1 : lineFeed
            headScan.lineStart = lineFeed + 1
            headScan.searchedBytes = 0
            if contentEnd == lineStart {
                return completeHead(head, headEnd: lineFeed + 1, skipped: skipped)
            }
            if headScan.fields.count >= limits.maxHeaderCount {
                return fail(.headerFieldsTooLarge, consumed: skipped)
            }
            switch Self.parseFieldLine(head, from: lineStart, to: contentEnd) {
            case .success(let field):
                headScan.fields.append(field)
                if let error = noteField(head, field) {
                    return fail(error, consumed: skipped)
                }
            case .failure(let error):
                return fail(error, consumed: skipped)
            }
        }
    }

    // MARK: request line

    /// `method SP request-target SP HTTP-version`, exactly one space each (RFC 9112 §3).
    static func parseRequestLine(_ line: UnsafeRawPointer, end: Int) -> Result<HeadScan.RequestLine, HTTPParseError> {
        var index = 0
        while index < end && ByteScan.isTokenByte(line.byte(at: index)) {
            index += 1
        }
        if index == end {
            return .failure(.badRequest(index == 0 ? "invalid method" : "missing request target"))
        }
        if index == 0 || line.byte(at: index) != ByteScan.sp {
            return .failure(.badRequest("invalid method"))
        }
        let methodEnd = index
        index += 1

        // Printable ASCII only: no controls, spaces, DEL or raw non-ASCII bytes.
        let targetStart = index
        while index < end, case let byte = line.byte(at: index), byte > ByteScan.sp && byte < 0x7F {
            index += 1
        }
        if index == targetStart || (index < end && line.byte(at: index) != ByteScan.sp) {
            return .failure(.badRequest("invalid request target"))
        }
        if index == end {
            return .failure(.badRequest("missing HTTP version"))
        }
        let targetEnd = index
        index += 1

        let version: HTTPVersion
        switch parseVersion(line, from: index, to: end) {
        case .success(let parsed): version = parsed
        case .failure(let error): return .failure(error)
        }
        if !isAcceptedTargetForm(line, from: targetStart, to: targetEnd, methodEnd: methodEnd) {
            return .failure(.badRequest("invalid request target"))
        }
        return .success(HeadScan.RequestLine(
            methodEnd: methodEnd, targetStart: targetStart, targetEnd: targetEnd, version: version
        ))
    }

    /// `HTTP/1.0` and `HTTP/1.1` (and 1.2–1.9 as 1.1, RFC 9110 §6.2); any other `HTTP/d.d` or
    /// `HTTP/d` is 505; everything else is 400.
    static func parseVersion(_ line: UnsafeRawPointer, from start: Int, to end: Int) -> Result<HTTPVersion, HTTPParseError> {
        let length = end - start
        let prefix: StaticString = "HTTP/"
        guard length == 6 || length == 8,
              ByteScan.equals(UnsafeRawBufferPointer(start: line + start, count: 5), prefix)
        else {
            return .failure(.badRequest("invalid HTTP version"))
        }
        let major = line.byte(at: start + 5) &- 0x30
        guard major <= 9 else { return .failure(.badRequest("invalid HTTP version")) }
        if length == 6 {
            return .failure(.versionNotSupported)
        }
        let minor = line.byte(at: start + 7) &- 0x30
        guard line.byte(at: start + 6) == UInt8(ascii: "."), minor <= 9 else {
            return .failure(.badRequest("invalid HTTP version"))
        }
        guard major == 1 else { return .failure(.versionNotSupported) }
        return .success(minor == 0 ? .http1_0 : .http1_1)
    }

    /// origin-form (`/…`), asterisk-form (`*`, OPTIONS only) or absolute-form (`scheme:…`),
    /// RFC 9112 §3.2. The bytes were already checked to be printable ASCII.
    static func isAcceptedTargetForm(_ line: UnsafeRawPointer, from start: Int, to end: Int, methodEnd: Int) -> Bool {
        let first = line.byte(at: start)
        if first == UInt8(ascii: "/") { return true }
        if first == UInt8(ascii: "*") {
            return end - start == 1 && ByteScan.equals(UnsafeRawBufferPointer(start: line, count: methodEnd), "OPTIONS")
        }
        guard isAlpha(first) else { return false }
        var index = start + 1
        while index < end {
            let byte = line.byte(at: index)
            if byte == ByteScan.colon { return true }
            guard isAlpha(byte) || byte &- 0x30 <= 9 || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
                    || byte == UInt8(ascii: ".")
            else { return false }
            index += 1
        }
        return false
    }

    @inline(__always)
    static func isAlpha(_ byte: UInt8) -> Bool {
        (byte | 0x20) &- 0x61 < 26
    }

    // MARK: header fields

    /// `field-name ":" OWS field-value OWS` (RFC 9112 §5). Used for header and trailer lines;
    /// `[start, end)` excludes the line terminator.
    static func parseFieldLine(_ head: UnsafeRawPointer, from start: Int, to end: Int) -> Result<FieldRange, HTTPParseError> {
        if ByteScan.isWhitespace(head.byte(at: start)) {
            return .failure(.badRequest("obsolete line folding"))
        }
        var index = start
        while index < end && ByteScan.isTokenByte(head.byte(at: index)) {
            index += 1
        }
        if index == end {
            return .failure(.badRequest("header line without colon"))
        }
        if head.byte(at: index) != ByteScan.colon || index == start {
            // "Name : value" is the request-smuggling shape RFC 9112 §5.1 says to reject.
            var next = index
            while next < end && ByteScan.isWhitespace(head.byte(at: next)) {
                next += 1
            }
            let whitespaceBeforeColon = index > start && next > index && next < end && head.byte(at: next) == ByteScan.colon
            return .failure(.badRequest(whitespaceBeforeColon ? "whitespace before colon" : "invalid header name"))
        }
        let nameEnd = index
        index += 1
        while index < end && ByteScan.isWhitespace(head.byte(at: index)) {
            index += 1
        }
        let valueStart = index
        if ByteScan.firstInvalidFieldValueByte(head, from: valueStart, to: end) != nil {
            return .failure(.badRequest("invalid header value"))
        }
        var valueEnd = end
        while valueEnd > valueStart && ByteScan.isWhitespace(head.byte(at: valueEnd - 1)) {
            valueEnd -= 1
        }
        return .success(FieldRange(
            nameStart: UInt32(truncatingIfNeeded: start), nameEnd: UInt32(truncatingIfNeeded: nameEnd),
            valueStart: UInt32(truncatingIfNeeded: valueStart), valueEnd: UInt32(truncatingIfNeeded: valueEnd)
        ))
    }

    /// Folds the fields that decide framing and connection handling into `headScan.summary`.
    /// Names are dispatched on length first so ordinary fields cost one comparison.
    mutating func noteField(_ head: UnsafeRawPointer, _ field: FieldRange) -> HTTPParseError? {
        let nameStart = Int(field.nameStart)
        let nameEnd = Int(field.nameEnd)
        let valueStart = Int(field.valueStart)
        let valueEnd = Int(field.valueEnd)
        switch nameEnd - nameStart {
        case 4 where ByteScan.equalsIgnoringCase(head, from: nameStart, to: nameEnd, "host"):
            headScan.summary.hostCount += 1
            if headScan.summary.hostCount > 1 { return .badRequest("multiple Host fields") }
        case 6 where ByteScan.equalsIgnoringCase(head, from: nameStart, to: nameEnd, "expect"):
            ByteScan.forEachListElement(head, from: valueStart, to: valueEnd) { start, end in
                if ByteScan.equalsIgnoringCase(head, from: start, to: end, "100-continue") {
                    headScan.summary.expectsContinue = true
                }
                return true
            }
        case 10 where ByteScan.equalsIgnoringCase(head, from: nameStart, to: nameEnd, "connection"):
            ByteScan.forEachListElement(head, from: valueStart, to: valueEnd) { start, end in
                if ByteScan.equalsIgnoringCase(head, from: start, to: end, "close") {
                    headScan.summary.connectionClose = true
                } else if ByteScan.equalsIgnoringCase(head, from: start, to: end, "keep-alive") {
                    headScan.summary.connectionKeepAlive = true
                }
                return true
            }
        case 14 where ByteScan.equalsIgnoringCase(head, from: nameStart, to: nameEnd, "content-length"):
            switch Self.parseContentLength(head, from: valueStart, to: valueEnd) {
            case .success(let length):
                if let previous = headScan.summary.contentLength, previous != length {
                    return .badRequest("conflicting content-length")
                }
                headScan.summary.contentLength = length
            case .failure(let error):
                return error
            }
        case 17 where ByteScan.equalsIgnoringCase(head, from: nameStart, to: nameEnd, "transfer-encoding"):
            headScan.summary.hasTransferEncoding = true
        default:
            break
        }
        return nil
    }

    /// A Content-Length value: decimal digits only, or a comma list of identical such values
    /// (RFC 9110 §8.6). Signs, inner spaces, an empty value and overflow are invalid.
    static func parseContentLength(_ head: UnsafeRawPointer, from start: Int, to end: Int) -> Result<Int, HTTPParseError> {
        var result: Result<Int, HTTPParseError> = .failure(.badRequest("invalid content-length"))
        var seenElement = false
        ByteScan.forEachListElement(head, from: start, to: end) { elementStart, elementEnd in
            var value = 0
            for index in elementStart..<elementEnd {
                let digit = head.byte(at: index) &- 0x30
                let (shifted, overflowA) = value.multipliedReportingOverflow(by: 10)
                let (sum, overflowB) = shifted.addingReportingOverflow(Int(digit))
                guard digit <= 9, !overflowA, !overflowB else {
                    result = .failure(.badRequest("invalid content-length"))
                    return false
                }
                value = sum
            }
            if seenElement, case .success(let previous) = result, previous != value {
                result = .failure(.badRequest("conflicting content-length"))
                return false
            }
            seenElement = true
            result = .success(value)
            return true
        }
        return result
    }

    // MARK: completion

    /// The head ends at `headEnd` (just past the empty line): decide framing and connection
    /// handling, copy the head once, and move to the body state.
    mutating func completeHead(_ head: UnsafeRawPointer, headEnd: Int, skipped: Int) -> (consumed: Int, event: ParseEvent) {
        guard let requestLine = headScan.requestLine else {
            return fail(.badRequest("missing request line"), consumed: skipped)
        }
        let summary = headScan.summary
        let version = requestLine.version

        let framing: BodyFraming
        if summary.hasTransferEncoding {
            if version == .http1_0 {
                return fail(.badRequest("transfer-encoding in HTTP/1.0"), consumed: skipped)
            }
            if summary.contentLength != nil {
                return fail(.badRequest("both content-length and transfer-encoding"), consumed: skipped)
            }
            if let error = validateTransferEncoding(head) {
                return fail(error, consumed: skipped)
            }
            framing = .chunked
        } else if let length = summary.contentLength {
            framing = .contentLength(length)
        } else {
            framing = .none
        }

        let keepAlive = version == .http1_1
            ? !summary.connectionClose
            : summary.connectionKeepAlive && !summary.connectionClose
        let hasBody: Bool
        switch framing {
        case .none: hasBody = false
        case .contentLength(let length): hasBody = length > 0
        case .chunked: hasBody = true
        }

        let requestHead = RequestHead(
            method: HTTPMethod.parse(UnsafeRawBufferPointer(start: head, count: requestLine.methodEnd)),
            target: String(
                decoding: UnsafeRawBufferPointer(
                    start: head + requestLine.targetStart, count: requestLine.targetEnd - requestLine.targetStart
                ),
                as: UTF8.self
            ),
            version: version,
            headers: HTTPHeaders(copyingHead: UnsafeRawBufferPointer(start: head, count: headEnd), fields: headScan.fields),
            framing: framing,
            keepAlive: keepAlive,
            expectsContinue: version == .http1_1 && summary.expectsContinue && hasBody
        )
        headScan.reset()

        switch framing {
        case .none:
            state = .fixedBody(remaining: 0)
        case .contentLength(let length):
            state = length > limits.maxBodyBytes ? .bodyTooLarge : .fixedBody(remaining: length)
        case .chunked:
            state = .chunkSizeLine
            chunkedBodyBytes = 0
            lineSearchedBytes = 0
        }
        return (skipped + headEnd, .head(requestHead))
    }

    /// The Transfer-Encoding fields, read as one list, must be exactly `chunked` (RFC 9112 §6.1).
    /// Any other coding is 501 (only chunked is implemented); chunked twice or an empty list is 400.
    func validateTransferEncoding(_ head: UnsafeRawPointer) -> HTTPParseError? {
        var sawChunked = false
        var error: HTTPParseError?
        for field in headScan.fields {
            guard ByteScan.equalsIgnoringCase(head, from: Int(field.nameStart), to: Int(field.nameEnd), "transfer-encoding") else {
                continue
            }
            ByteScan.forEachListElement(head, from: Int(field.valueStart), to: Int(field.valueEnd)) { start, end in
                if !ByteScan.equalsIgnoringCase(head, from: start, to: end, "chunked") {
                    error = .notImplemented("unsupported transfer-encoding")
                } else if sawChunked {
                    error = .badRequest("chunked applied more than once")
                }
                sawChunked = true
                return error == nil
            }
            if let error { return error }
        }
        return sawChunked ? nil : .badRequest("empty transfer-encoding")
    }
}
