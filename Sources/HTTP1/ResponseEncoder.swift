/// Writes HTTP/1.1 responses into a caller-owned byte buffer. The encoder owns framing: it always
/// writes `Date`, `Content-Length` and `Connection` itself, so caller headers with those names (and
/// `Transfer-Encoding`) are dropped. CR, LF and NUL in caller header names or values are written as
/// spaces, so a value that ever echoes client input cannot split the response.
public enum ResponseEncoder {
    /// Appends a complete response: status line, `Date`, `Content-Length`, `headers` in order,
    /// `Connection: close` when `!keepAlive` (or `Connection: keep-alive` for a kept-alive HTTP/1.0
    /// client), the empty line, then `body`.
    ///
    /// For a response to HEAD pass the body the GET would have had (or its size via `encodeHead`) and
    /// `omitBody: true`: the Content-Length describes it but no body bytes are written.
    /// 1xx and 204 responses get neither Content-Length nor body (RFC 9110 §8.6).
    @inlinable
    public static func encode(
        status: HTTPStatus,
        headers: [(String, String)] = [],
        body: some Collection<UInt8>,
        keepAlive: Bool,
        date: [UInt8],
        requestVersion: HTTPVersion = .http1_1,
        omitBody: Bool = false,
        into buffer: inout [UInt8]
    ) {
        let bodyCount = body.count
        buffer.reserveCapacity(buffer.count + 128 + (omitBody ? 0 : bodyCount))
        encodeHead(
            status: status, headers: headers, contentLength: bodyCount, keepAlive: keepAlive, date: date,
            requestVersion: requestVersion, into: &buffer
        )
        if !omitBody && allowsContent(status) {
            buffer.append(contentsOf: body)
        }
    }

    /// Appends only the head (through the empty line) for a body of `contentLength` bytes that the
    /// caller writes separately, e.g. straight from its own buffer.
    public static func encodeHead(
        status: HTTPStatus,
        headers: [(String, String)] = [],
        contentLength: Int,
        keepAlive: Bool,
        date: [UInt8],
        requestVersion: HTTPVersion = .http1_1,
        into buffer: inout [UInt8]
    ) {
        append("HTTP/1.1 ", to: &buffer)
        appendDecimal(status.code, to: &buffer)
        buffer.append(ByteScan.sp)
        appendSanitized(status.reason, to: &buffer)
        append("\r\n", to: &buffer)
        if !date.isEmpty {
            append("Date: ", to: &buffer)
            buffer.append(contentsOf: date)
            append("\r\n", to: &buffer)
        }
        if allowsContent(status) {
            append("Content-Length: ", to: &buffer)
            appendDecimal(max(contentLength, 0), to: &buffer)
            append("\r\n", to: &buffer)
        }
        for (name, value) in headers where !isEncoderOwned(name) {
            appendSanitized(name, to: &buffer)
            append(": ", to: &buffer)
            appendSanitized(value, to: &buffer)
            append("\r\n", to: &buffer)
        }
        if !keepAlive {
            append("Connection: close\r\n", to: &buffer)
        } else if requestVersion == .http1_0 {
            append("Connection: keep-alive\r\n", to: &buffer)
        }
        append("\r\n", to: &buffer)
    }

    /// Appends `HTTP/1.1 100 Continue\r\n\r\n`.
    public static func encodeContinue(into buffer: inout [UInt8]) {
        append("HTTP/1.1 100 Continue\r\n\r\n", to: &buffer)
    }

    /// 1xx and 204 responses carry no content and no Content-Length.
    @inlinable
    static func allowsContent(_ status: HTTPStatus) -> Bool {
        status.code >= 200 && status.code != 204
    }

    static func isEncoderOwned(_ name: String) -> Bool {
        let utf8 = name.utf8
        let candidate: StaticString
        switch utf8.count {
        case 4: candidate = "date"
        case 10: candidate = "connection"
        case 14: candidate = "content-length"
        case 17: candidate = "transfer-encoding"
        default: return false
        }
        let expected = UnsafeBufferPointer(start: candidate.utf8Start, count: candidate.utf8CodeUnitCount)
        return utf8.elementsEqual(expected) { ByteScan.asciiLowercased($0) == $1 }
    }

    static func append(_ literal: StaticString, to buffer: inout [UInt8]) {
        buffer.append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    static func appendSanitized(_ text: String, to buffer: inout [UInt8]) {
        var text = text
        text.withUTF8 { utf8 in
            var clean = true
            for byte in utf8 where isForbiddenInHead(byte) {
                clean = false
                break
            }
            if clean {
                buffer.append(contentsOf: utf8)
            } else {
                for byte in utf8 {
                    buffer.append(isForbiddenInHead(byte) ? ByteScan.sp : byte)
                }
            }
        }
    }

    static func isForbiddenInHead(_ byte: UInt8) -> Bool {
        byte == ByteScan.cr || byte == ByteScan.lf || byte == 0
    }

    static func appendDecimal(_ value: Int, to buffer: inout [UInt8]) {
        if value < 0 {
            buffer.append(UInt8(ascii: "-"))
        }
        var magnitude = value.magnitude
        let firstDigit = buffer.count
        repeat {
            buffer.append(UInt8(truncatingIfNeeded: 0x30 + magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        buffer[firstDigit...].reverse()
    }
}
