import Testing
@testable import HTTP1

@Suite struct ResponseEncoderTests {
    static let date = bytes("Sun, 06 Nov 1994 08:49:37 GMT")

    static func text(_ buffer: [UInt8]) -> String {
        String(decoding: buffer, as: UTF8.self)
    }

    @Test func okWithBody() {
        var buffer: [UInt8] = []
        ResponseEncoder.encode(
            status: .ok, headers: [("Content-Type", "application/json")], body: bytes(#"{"ok":true}"#),
            keepAlive: true, date: Self.date, into: &buffer
        )
        #expect(Self.text(buffer) == "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Length: 11\r\n"
            + "Content-Type: application/json\r\n\r\n{\"ok\":true}")
    }

    @Test func serviceUnavailableWithRetryAfterClosesTheConnection() {
        var buffer = bytes("previous")
        ResponseEncoder.encode(
            status: .serviceUnavailable, headers: [("Retry-After", "1")], body: [UInt8](), keepAlive: false,
            date: Self.date, into: &buffer
        )
        #expect(Self.text(buffer) == "previousHTTP/1.1 503 Service Unavailable\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            + "Content-Length: 0\r\nRetry-After: 1\r\nConnection: close\r\n\r\n")
    }

    @Test func continueInterimResponse() {
        var buffer: [UInt8] = []
        ResponseEncoder.encodeContinue(into: &buffer)
        #expect(buffer == bytes("HTTP/1.1 100 Continue\r\n\r\n"))
    }

    @Test func headResponseKeepsLengthButOmitsBody() {
        var buffer: [UInt8] = []
        ResponseEncoder.encode(status: .ok, body: bytes("hello"), keepAlive: true, date: Self.date, omitBody: true, into: &buffer)
        #expect(Self.text(buffer) == "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Length: 5\r\n\r\n")
    }

    @Test func noContentHasNoLengthAndNoBody() {
        var buffer: [UInt8] = []
        ResponseEncoder.encode(status: .noContent, body: bytes("ignored"), keepAlive: true, date: Self.date, into: &buffer)
        #expect(Self.text(buffer) == "HTTP/1.1 204 No Content\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n")
    }

    @Test func keptAliveHTTP10ClientIsToldSo() {
        var buffer: [UInt8] = []
        ResponseEncoder.encode(status: .accepted, body: bytes("{}"), keepAlive: true, date: [], requestVersion: .http1_0, into: &buffer)
        #expect(Self.text(buffer) == "HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n{}")
    }

    @Test func encoderOwnedHeadersAreDroppedAndLineBreaksNeutralised() {
        var buffer: [UInt8] = []
        ResponseEncoder.encode(
            status: .badRequest,
            headers: [
                ("content-length", "999"), ("Transfer-Encoding", "chunked"), ("DATE", "x"), ("Connection", "keep-alive"),
                ("X-Reason", "bad\r\nSet-Cookie: evil"), ("X-Nul", "a\u{0}b"),
            ],
            body: bytes("no"), keepAlive: true, date: Self.date, into: &buffer
        )
        #expect(Self.text(buffer) == "HTTP/1.1 400 Bad Request\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Length: 2\r\n"
            + "X-Reason: bad  Set-Cookie: evil\r\nX-Nul: a b\r\n\r\nno")
    }

    @Test func headOnlyForSeparatelyWrittenBody() {
        var buffer: [UInt8] = []
        ResponseEncoder.encodeHead(status: .contentTooLarge, contentLength: 1_234_567, keepAlive: false, date: Self.date, into: &buffer)
        #expect(Self.text(buffer) == "HTTP/1.1 413 Content Too Large\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            + "Content-Length: 1234567\r\nConnection: close\r\n\r\n")
    }

    @Test func everyParseErrorStatusEncodes() {
        let errors: [HTTPParseError] = [
            .badRequest("x"), .uriTooLong, .headerFieldsTooLarge, .payloadTooLarge, .lengthRequired, .notImplemented("x"),
            .versionNotSupported,
        ]
        for error in errors {
            var buffer: [UInt8] = []
            ResponseEncoder.encode(status: error.status, body: [UInt8](), keepAlive: false, date: Self.date, into: &buffer)
            #expect(Self.text(buffer).hasPrefix("HTTP/1.1 \(error.status.code) \(error.status.reason)\r\n"))
        }
    }
}
