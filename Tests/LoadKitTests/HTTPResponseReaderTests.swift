import Testing

@testable import LoadKit

@Suite struct HTTPResponseReaderTests {
    func feedWhole(_ text: String, capture: Bool = true) throws -> HTTPResponseReader {
        var reader = HTTPResponseReader(captureBody: capture)
        let progress = try reader.consume(Array(text.utf8))
        #expect(progress == .complete(consumed: text.utf8.count))
        return reader
    }

    /// Feeds the response in every possible two-piece split: the result must not depend on packet boundaries.
    func feedSplits(_ text: String, expectBody: String, status: Int, keepAlive: Bool) throws {
        let bytes = Array(text.utf8)
        for split in 0...bytes.count {
            var reader = HTTPResponseReader(captureBody: true)
            var first = try reader.consume(Array(bytes[0..<split]))
            if split < bytes.count {
                #expect(first == .needMore)
                first = try reader.consume(Array(bytes[split...]))
            }
            #expect(first == .complete(consumed: bytes.count - (split < bytes.count ? split : 0)))
            #expect(reader.status == status)
            #expect(reader.keepAlive == keepAlive)
            #expect(String(decoding: reader.body, as: UTF8.self) == expectBody)
        }
    }

    @Test func contentLengthBody() throws {
        try feedSplits(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n[{\"status\":202}]",
            expectBody: "[{\"status\":202}]", status: 200, keepAlive: true)
    }

    @Test func chunkedBodyWithExtensionsAndTrailers() throws {
        let text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "7;ext=1\r\n[{\"stat\r\n" + "A\r\nus\":202},{\r\n" + "c\r\n\"status\":400\r\n" + "2\r\n}]\r\n"
            + "0\r\nX-Trailer: yes\r\n\r\n"
        try feedSplits(text, expectBody: "[{\"status\":202},{\"status\":400}]", status: 200, keepAlive: true)
    }

    @Test func emptyBodyAndConnectionClose() throws {
        try feedSplits("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", expectBody: "", status: 200, keepAlive: false)
        try feedSplits("HTTP/1.1 204 No Content\r\n\r\n", expectBody: "", status: 204, keepAlive: true)
        try feedSplits("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", expectBody: "ok", status: 200, keepAlive: false)
        try feedSplits("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok", expectBody: "ok", status: 200, keepAlive: true)
    }

    @Test func interimContinueIsSkipped() throws {
        let reader = try feedWhole("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy")
        #expect(reader.status == 503)
        #expect(reader.body == Array("busy".utf8))
    }

    @Test func bodyUntilCloseCompletesAtEOF() throws {
        var reader = HTTPResponseReader(captureBody: true)
        #expect(try reader.consume(Array("HTTP/1.1 200 OK\r\n\r\nsome body".utf8)) == .needMore)
        try reader.finishAtEOF()
        #expect(reader.isComplete)
        #expect(reader.body == Array("some body".utf8))
        #expect(!reader.keepAlive)
    }

    @Test func truncatedResponseIsAnError() throws {
        var reader = HTTPResponseReader()
        _ = try reader.consume(Array("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc".utf8))
        #expect(throws: HTTPResponseError.truncated) { try reader.finishAtEOF() }
    }

    @Test func uncapturedBodyIsCountedNotKept() throws {
        let reader = try feedWhole("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc", capture: false)
        #expect(reader.body.isEmpty)
        #expect(reader.bodyByteCount == 3)
    }

    @Test func malformedInputThrowsTypedErrors() {
        var reader = HTTPResponseReader()
        #expect(throws: HTTPResponseError.badStatusLine) { try reader.consume(Array("SMTP 220 hello\r\n".utf8)) }
        reader = HTTPResponseReader()
        #expect(throws: HTTPResponseError.badContentLength) {
            try reader.consume(Array("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n".utf8))
        }
        reader = HTTPResponseReader()
        #expect(throws: HTTPResponseError.badChunkSize) {
            try reader.consume(Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".utf8))
        }
        reader = HTTPResponseReader()
        #expect(throws: HTTPResponseError.badHeader) { try reader.consume(Array("HTTP/1.1 200 OK\r\nno colon\r\n".utf8)) }
        reader = HTTPResponseReader()
        let huge = "HTTP/1.1 200 OK\r\nX: " + String(repeating: "a", count: HTTPResponseReader.maxHeaderBytes) + "\r\n"
        #expect(throws: HTTPResponseError.self) { try reader.consume(Array(huge.utf8)) }
    }

    @Test func resetAllowsTheNextResponseOnTheSameConnection() throws {
        var reader = try feedWhole("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        reader.reset()
        #expect(try reader.consume(Array("HTTP/1.1 429 Too Many\r\nContent-Length: 0\r\n\r\n".utf8)) != .needMore)
        #expect(reader.status == 429)
        #expect(reader.body.isEmpty)
    }
}
