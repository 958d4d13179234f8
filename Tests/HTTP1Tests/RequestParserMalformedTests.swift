import Testing
@testable import HTTP1

/// Malformed and hostile requests, each mapped to its exact error and status. Every case also goes
/// through the drip-feed verifier: the same error must come out however the bytes are split.
@Suite struct RequestParserMalformedTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let input: [UInt8]
        let error: HTTPParseError
        let statusCode: Int
        /// Whether a `.head` is reported before the error (only for body-phase errors).
        let headFirst: Bool

        init(_ name: String, _ input: String, _ error: HTTPParseError, _ statusCode: Int, headFirst: Bool = false) {
            self.init(name, bytes(input), error, statusCode, headFirst: headFirst)
        }

        init(_ name: String, _ input: [UInt8], _ error: HTTPParseError, _ statusCode: Int, headFirst: Bool = false) {
            self.name = name
            self.input = input
            self.error = error
            self.statusCode = statusCode
            self.headFirst = headFirst
        }

        var testDescription: String { name }
    }

    static let requestLineCases: [Case] = [
        Case("bad method character", "G(T / HTTP/1.1\r\n\r\n", .badRequest("invalid method"), 400),
        Case("method with NUL", "GE\u{0}T / HTTP/1.1\r\n\r\n", .badRequest("invalid method"), 400),
        Case("leading space", " GET / HTTP/1.1\r\n\r\n", .badRequest("invalid method"), 400),
        Case("method only", "GET\r\n\r\n", .badRequest("missing request target"), 400),
        Case("missing version", "GET /\r\n\r\n", .badRequest("missing HTTP version"), 400),
        Case("double space before target", "GET  / HTTP/1.1\r\n\r\n", .badRequest("invalid request target"), 400),
        Case("space inside target", "GET /a b HTTP/1.1\r\n\r\n", .badRequest("invalid HTTP version"), 400),
        Case("tab inside target", "GET /a\tb HTTP/1.1\r\n\r\n", .badRequest("invalid request target"), 400),
        Case("control byte in target", "GET /a\u{1}b HTTP/1.1\r\n\r\n", .badRequest("invalid request target"), 400),
        Case("DEL in target", "GET /a\u{7F} HTTP/1.1\r\n\r\n", .badRequest("invalid request target"), 400),
        Case("raw non-ASCII in target", "GET /caf\u{e9} HTTP/1.1\r\n\r\n", .badRequest("invalid request target"), 400),
        Case("relative target", "GET foo HTTP/1.1\r\n\r\n", .badRequest("invalid request target"), 400),
        Case("asterisk without OPTIONS", "GET * HTTP/1.1\r\n\r\n", .badRequest("invalid request target"), 400),
        Case("HTTP/2.0", "GET / HTTP/2.0\r\n\r\n", .versionNotSupported, 505),
        Case("h2 prior-knowledge preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", .versionNotSupported, 505),
        Case("HTTP/3", "GET / HTTP/3\r\n\r\n", .versionNotSupported, 505),
        Case("HTTP/0.9", "GET / HTTP/0.9\r\n\r\n", .versionNotSupported, 505),
        Case("HTTP/1.10", "GET / HTTP/1.10\r\n\r\n", .badRequest("invalid HTTP version"), 400),
        Case("lowercase protocol", "GET / http/1.1\r\n\r\n", .badRequest("invalid HTTP version"), 400),
        Case("version garbage", "GET / HTTP/x.y\r\n\r\n", .badRequest("invalid HTTP version"), 400),
        Case("trailing space after version", "GET / HTTP/1.1 \r\n\r\n", .badRequest("invalid HTTP version"), 400),
        Case("bare CR ends request line", "GET / HTTP/1.1\r\r\n\r\n", .badRequest("invalid HTTP version"), 400),
        Case("over-long request line", "GET /" + repeated("a", 8 * 1024) + " HTTP/1.1\r\n\r\n", .uriTooLong, 414),
    ]

    static let headerCases: [Case] = [
        Case("space before colon", "GET / HTTP/1.1\r\nHost : h\r\n\r\n", .badRequest("whitespace before colon"), 400),
        Case("tab before colon", "GET / HTTP/1.1\r\nContent-Length\t: 5\r\n\r\nhello", .badRequest("whitespace before colon"), 400),
        Case("obs-fold", "GET / HTTP/1.1\r\nX-A: one\r\n two\r\n\r\n", .badRequest("obsolete line folding"), 400),
        Case("obs-fold with tab", "GET / HTTP/1.1\r\nX-A: one\r\n\ttwo\r\n\r\n", .badRequest("obsolete line folding"), 400),
        Case("whitespace right after request line", "GET / HTTP/1.1\r\n Host: h\r\n\r\n", .badRequest("obsolete line folding"), 400),
        Case("header without colon", "GET / HTTP/1.1\r\nHost\r\n\r\n", .badRequest("header line without colon"), 400),
        Case("empty header name", "GET / HTTP/1.1\r\n: v\r\n\r\n", .badRequest("invalid header name"), 400),
        Case("space inside name", "GET / HTTP/1.1\r\nX A: v\r\n\r\n", .badRequest("invalid header name"), 400),
        Case("NUL in header name", "GET / HTTP/1.1\r\nX\u{0}A: v\r\n\r\n", .badRequest("invalid header name"), 400),
        Case("NUL in header value", "GET / HTTP/1.1\r\nX-A: a\u{0}b\r\n\r\n", .badRequest("invalid header value"), 400),
        Case("control byte in header value", "GET / HTTP/1.1\r\nX-A: a\u{1}b\r\n\r\n", .badRequest("invalid header value"), 400),
        Case("DEL in header value", "GET / HTTP/1.1\r\nX-A: a\u{7F}b\r\n\r\n", .badRequest("invalid header value"), 400),
        Case("bare CR in header value", "GET / HTTP/1.1\r\nX-A: a\rb\r\n\r\n", .badRequest("invalid header value"), 400),
        Case("CR CR LF line end", "GET / HTTP/1.1\r\nX-A: a\r\r\n\r\n", .badRequest("invalid header value"), 400),
        Case("two Host fields", "GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", .badRequest("multiple Host fields"), 400),
        Case(
            "too many headers", "GET / HTTP/1.1\r\n" + (0...100).map { "X-\($0): v\r\n" }.joined() + "\r\n",
            .headerFieldsTooLarge, 431
        ),
        Case("head too large", "GET / HTTP/1.1\r\nX-Big: " + repeated("b", 32 * 1024) + "\r\n\r\n", .headerFieldsTooLarge, 431),
    ]

    static let framingCases: [Case] = [
        Case(
            "Content-Length and Transfer-Encoding", "POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
            .badRequest("both content-length and transfer-encoding"), 400
        ),
        Case(
            "Transfer-Encoding and Content-Length", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
            .badRequest("both content-length and transfer-encoding"), 400
        ),
        Case(
            "conflicting Content-Length fields", "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
            .badRequest("conflicting content-length"), 400
        ),
        Case("conflicting Content-Length list", "POST / HTTP/1.1\r\nContent-Length: 5, 6\r\n\r\nhello", .badRequest("conflicting content-length"), 400),
        Case("Content-Length with plus sign", "POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\nhello", .badRequest("invalid content-length"), 400),
        Case("negative Content-Length", "POST / HTTP/1.1\r\nContent-Length: -5\r\n\r\n", .badRequest("invalid content-length"), 400),
        Case("Content-Length with inner space", "POST / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n", .badRequest("invalid content-length"), 400),
        Case("hex Content-Length", "POST / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n", .badRequest("invalid content-length"), 400),
        Case("empty Content-Length", "POST / HTTP/1.1\r\nContent-Length: \r\n\r\n", .badRequest("invalid content-length"), 400),
        Case(
            "Content-Length overflow", "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
            .badRequest("invalid content-length"), 400
        ),
        Case(
            "Content-Length just past Int.max", "POST / HTTP/1.1\r\nContent-Length: 9223372036854775808\r\n\r\n",
            .badRequest("invalid content-length"), 400
        ),
        Case("Transfer-Encoding gzip", "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", .notImplemented("unsupported transfer-encoding"), 501),
        Case(
            "Transfer-Encoding chunked, gzip", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
            .notImplemented("unsupported transfer-encoding"), 501
        ),
        Case(
            "Transfer-Encoding gzip, chunked", "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
            .notImplemented("unsupported transfer-encoding"), 501
        ),
        Case("Transfer-Encoding identity", "POST / HTTP/1.1\r\nTransfer-Encoding: identity\r\n\r\n", .notImplemented("unsupported transfer-encoding"), 501),
        Case(
            "Transfer-Encoding chunked with parameter", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked;q=1\r\n\r\n",
            .notImplemented("unsupported transfer-encoding"), 501
        ),
        Case(
            "chunked twice in one field", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
            .badRequest("chunked applied more than once"), 400
        ),
        Case(
            "chunked twice in two fields", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
            .badRequest("chunked applied more than once"), 400
        ),
        Case("empty Transfer-Encoding", "POST / HTTP/1.1\r\nTransfer-Encoding: \r\n\r\n", .badRequest("empty transfer-encoding"), 400),
        Case(
            "Transfer-Encoding on HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            .badRequest("transfer-encoding in HTTP/1.0"), 400
        ),
        Case(
            "body too large by Content-Length", "POST / HTTP/1.1\r\nContent-Length: 8388609\r\n\r\n", .payloadTooLarge, 413,
            headFirst: true
        ),
    ]

    static let chunkedPrefix = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
    static let chunkedCases: [Case] = [
        Case("non-hex chunk size", chunkedPrefix + "zz\r\n", .badRequest("invalid chunk size"), 400, headFirst: true),
        Case("empty chunk size", chunkedPrefix + "\r\nabc", .badRequest("invalid chunk size"), 400, headFirst: true),
        Case("negative chunk size", chunkedPrefix + "-1\r\n", .badRequest("invalid chunk size"), 400, headFirst: true),
        Case("0x prefix", chunkedPrefix + "0x5\r\nhello\r\n", .badRequest("invalid chunk size"), 400, headFirst: true),
        Case("space inside chunk size", chunkedPrefix + "5 5\r\n", .badRequest("invalid chunk size"), 400, headFirst: true),
        Case(
            "chunk size overflow", chunkedPrefix + "10000000000000000\r\n", .badRequest("chunk size overflow"), 400, headFirst: true
        ),
        Case(
            "chunk size past maxBodyBytes", chunkedPrefix + "7FFFFFFFFFFFFFFF\r\n", .payloadTooLarge, 413, headFirst: true
        ),
        Case(
            "control byte in chunk extension", chunkedPrefix + "5;a\u{1}b\r\nhello\r\n0\r\n\r\n",
            .badRequest("invalid chunk extension"), 400, headFirst: true
        ),
        Case(
            "bare LF after chunk size", chunkedPrefix + "5\nhello\r\n0\r\n\r\n", .badRequest("chunk line not ended by CRLF"), 400,
            headFirst: true
        ),
        Case(
            "bare CR inside chunk line", chunkedPrefix + "5\r;\r\nhello\r\n0\r\n\r\n", .badRequest("invalid chunk size"), 400,
            headFirst: true
        ),
        Case(
            "missing CRLF after chunk data", chunkedPrefix + "5\r\nhelloX\r\n0\r\n\r\n", .badRequest("missing CRLF after chunk data"),
            400, headFirst: true
        ),
        Case(
            "CR without LF after chunk data", chunkedPrefix + "5\r\nhello\rX0\r\n\r\n", .badRequest("missing CRLF after chunk data"),
            400, headFirst: true
        ),
        Case(
            "bare LF after chunk data", chunkedPrefix + "5\r\nhello\n0\r\n\r\n", .badRequest("missing CRLF after chunk data"), 400,
            headFirst: true
        ),
        Case(
            "chunk data longer than its size", chunkedPrefix + "3\r\nhello\r\n0\r\n\r\n", .badRequest("missing CRLF after chunk data"),
            400, headFirst: true
        ),
        Case(
            "bare LF ends trailers", chunkedPrefix + "0\r\n\n", .badRequest("trailer line not ended by CRLF"), 400, headFirst: true
        ),
        Case(
            "trailer without colon", chunkedPrefix + "0\r\nnot a field\r\n\r\n", .badRequest("invalid header name"), 400, headFirst: true
        ),
        Case(
            "obs-fold in trailer", chunkedPrefix + "0\r\nX: a\r\n b\r\n\r\n", .badRequest("obsolete line folding"), 400, headFirst: true
        ),
        Case(
            "over-long chunk size line", chunkedPrefix + "5;" + repeated("e", 1024) + "\r\nhello\r\n0\r\n\r\n",
            .badRequest("chunk size line too long"), 400, headFirst: true
        ),
        Case(
            "too many trailer bytes", chunkedPrefix + "0\r\nX-T: " + repeated("t", 8 * 1024) + "\r\n\r\n", .headerFieldsTooLarge, 431,
            headFirst: true
        ),
    ]

    @Test(arguments: requestLineCases + headerCases + framingCases + chunkedCases)
    func malformedInputFails(_ testCase: Case) {
        let transcript = DripFeedVerifier.verify(testCase.input)
        #expect(transcript.error == testCase.error)
        #expect(testCase.error.status.code == testCase.statusCode)
        #expect(transcript.heads.count == (testCase.headFirst ? 1 : 0))
        #expect(transcript.endCount == 0)
    }

    @Test func bodyTooLargeReportsHeadThenErrorOnTheNextCall() throws {
        // The server relies on this order: it gets the head (method, target, keep-alive, framing)
        // to build a proper 413, and the error comes from the very next call, consuming nothing.
        var parser = RequestParser(limits: ParserLimits(maxBodyBytes: 10))
        let input = bytes("POST /1/batch/ds HTTP/1.1\r\nContent-Length: 11\r\n\r\n0123456789A")
        let first = input.withUnsafeBytes { parser.parse($0) }
        guard case .head(let head) = first.event else {
            Issue.record("expected head first, got \(first.event)")
            return
        }
        #expect(head.framing == .contentLength(11))
        #expect(head.keepAlive)
        let rest = Array(input[first.consumed...])
        let second = rest.withUnsafeBytes { parser.parse($0) }
        #expect(second.consumed == 0)
        #expect(second.event == .error(.payloadTooLarge))
    }

    @Test func errorsAfterACompletedPipelinedRequestKeepTheEarlierRequest() {
        let transcript = DripFeedVerifier.verify(bytes("GET /ok HTTP/1.1\r\n\r\nGET /bad HTTP/9.9\r\n\r\n"))
        #expect(transcript.heads.map(\.target) == ["/ok"])
        #expect(transcript.endCount == 1)
        #expect(transcript.error == .versionNotSupported)
    }

    @Test func chunkedErrorAfterDataKeepsTheDataDelivered() {
        let transcript = DripFeedVerifier.verify(bytes(Self.chunkedPrefix + "5\r\nhello\r\nzz\r\n"))
        #expect(transcript.bodies == [bytes("hello")])
        #expect(transcript.error == .badRequest("invalid chunk size"))
    }

    @Test func statusMappingCoversEveryCase() {
        #expect(HTTPParseError.badRequest("x").status == .badRequest)
        #expect(HTTPParseError.uriTooLong.status.code == 414)
        #expect(HTTPParseError.headerFieldsTooLarge.status.code == 431)
        #expect(HTTPParseError.payloadTooLarge.status.code == 413)
        #expect(HTTPParseError.lengthRequired.status.code == 411)
        #expect(HTTPParseError.notImplemented("x").status.code == 501)
        #expect(HTTPParseError.versionNotSupported.status.code == 505)
    }
}
