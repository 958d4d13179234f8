import Testing
@testable import HTTP1

/// Well-formed requests, each checked through the drip-feed verifier (whole, byte by byte,
/// 200 random splits must agree).
@Suite struct RequestParserValidTests {
    @Test func getWithoutBody() throws {
        let transcript = DripFeedVerifier.verify(bytes("GET /1/auth HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t/1\r\n\r\n"))
        #expect(transcript.entries.count == 2)
        let head = try #require(transcript.heads.first)
        #expect(head.method == .get)
        #expect(head.target == "/1/auth")
        #expect(head.path == "/1/auth")
        #expect(head.query == nil)
        #expect(head.version == .http1_1)
        #expect(head.framing == .none)
        #expect(head.keepAlive)
        #expect(!head.expectsContinue)
        #expect(head.headers.count == 2)
        #expect(head.headers["host"] == "example.com")
        #expect(transcript.entries.last == .end)
        #expect(transcript.unconsumed.isEmpty)
    }

    @Test func postWithContentLength() throws {
        let body = #"[{"data":{"a":1}}]"#
        let transcript = DripFeedVerifier.verify(bytes(
            "POST /1/batch/ds HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
        ))
        let head = try #require(transcript.heads.first)
        #expect(head.method == .post)
        #expect(head.framing == .contentLength(body.utf8.count))
        #expect(transcript.bodies == [bytes(body)])
        #expect(transcript.entries.last == .end)
        #expect(transcript.unconsumed.isEmpty)
    }

    @Test func contentLengthZeroEndsWithoutBody() {
        let transcript = DripFeedVerifier.verify(bytes("POST /x HTTP/1.1\r\nContent-Length: 0\r\n\r\n"))
        #expect(transcript.heads.first?.framing == .contentLength(0))
        #expect(transcript.entries.count == 2)
        #expect(transcript.entries.last == .end)
    }

    @Test func postWithoutFramingHasNoBody() {
        // No Content-Length or Transfer-Encoding: no body, even for POST; the bytes after the head
        // are the next request.
        let transcript = DripFeedVerifier.verify(bytes("POST /x HTTP/1.1\r\n\r\nGET /y HTTP/1.1\r\n\r\n"))
        #expect(transcript.heads.map(\.framing) == [.none, .none])
        #expect(transcript.heads.map(\.target) == ["/x", "/y"])
        #expect(transcript.endCount == 2)
    }

    @Test func chunkedWithExtensionsAndTrailers() throws {
        let transcript = DripFeedVerifier.verify(bytes(
            "POST /v1/traces HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5;name=value\r\nhello\r\n"
                + "6 ; quoted=\"a b\";flag\r\n world\r\n"
                + "A\r\n0123456789\r\n"
                + "0;last\r\nX-Checksum: abc\r\nX-Other:  z \r\n\r\n"
        ))
        let head = try #require(transcript.heads.first)
        #expect(head.framing == .chunked)
        #expect(transcript.bodies == [bytes("hello world0123456789")])
        #expect(transcript.entries.last == .end)
        #expect(transcript.unconsumed.isEmpty)
        // Trailers are consumed and discarded, never merged into the headers.
        #expect(!head.headers.contains("X-Checksum"))
    }

    @Test func chunkedHexSizesAnyCaseAndLeadingZeros() {
        let data = repeated("x", 0x1F)
        let transcript = DripFeedVerifier.verify(bytes(
            "POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n001f\r\n\(data)\r\n0000\r\n\r\n"
        ))
        #expect(transcript.bodies == [bytes(data)])
        #expect(transcript.entries.last == .end)
    }

    @Test func sixteenPipelinedRequestsMixedFraming() {
        var input = ""
        var expectedBodies: [[UInt8]] = []
        var expectedFraming: [BodyFraming] = []
        for index in 0..<16 {
            let body = "event-\(index)-" + repeated("p", index * 7)
            switch index % 4 {
            case 0:
                input += "POST /1/events/ds\(index) HTTP/1.1\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
                expectedBodies.append(bytes(body))
                expectedFraming.append(.contentLength(body.utf8.count))
            case 1:
                let half = body.utf8.count / 2
                let first = String(body.prefix(half))
                let second = String(body.dropFirst(half))
                input += "POST /1/batch/ds\(index) HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + String(first.utf8.count, radix: 16) + "\r\n\(first)\r\n"
                    + String(second.utf8.count, radix: 16) + "\r\n\(second)\r\n0\r\n\r\n"
                expectedBodies.append(bytes(body))
                expectedFraming.append(.chunked)
            case 2:
                input += "GET /healthz?i=\(index) HTTP/1.1\r\nHost: h\r\n\r\n"
                expectedBodies.append([])
                expectedFraming.append(.none)
            default:
                input += "PUT /x/\(index) HTTP/1.1\r\nContent-Length: 0\r\n\r\n"
                expectedBodies.append([])
                expectedFraming.append(.contentLength(0))
            }
        }
        let transcript = DripFeedVerifier.verify(bytes(input))
        #expect(transcript.heads.count == 16)
        #expect(transcript.endCount == 16)
        #expect(transcript.heads.map(\.framing) == expectedFraming)
        #expect(transcript.bodies == expectedBodies)
        #expect(transcript.error == nil)
        #expect(transcript.unconsumed.isEmpty)
    }

    @Test func incompleteSecondPipelinedRequestStaysUnconsumed() {
        let transcript = DripFeedVerifier.verify(bytes("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\nHo"))
        #expect(transcript.heads.count == 1)
        #expect(transcript.endCount == 1)
        #expect(transcript.unconsumed == bytes("GET /b HTTP/1.1\r\nHo"))
    }

    struct KeepAliveCase: Sendable, CustomTestStringConvertible {
        let version: String
        let connection: [String]
        let keepAlive: Bool
        var testDescription: String { "\(version) Connection=\(connection) → keepAlive \(keepAlive)" }
    }

    @Test(arguments: [
        KeepAliveCase(version: "HTTP/1.1", connection: [], keepAlive: true),
        KeepAliveCase(version: "HTTP/1.1", connection: ["close"], keepAlive: false),
        KeepAliveCase(version: "HTTP/1.1", connection: ["Close"], keepAlive: false),
        KeepAliveCase(version: "HTTP/1.1", connection: ["keep-alive, Upgrade"], keepAlive: true),
        KeepAliveCase(version: "HTTP/1.1", connection: ["Upgrade,  CLOSE "], keepAlive: false),
        KeepAliveCase(version: "HTTP/1.1", connection: ["keep-alive", "close"], keepAlive: false),
        KeepAliveCase(version: "HTTP/1.1", connection: ["closed"], keepAlive: true),
        KeepAliveCase(version: "HTTP/1.0", connection: [], keepAlive: false),
        KeepAliveCase(version: "HTTP/1.0", connection: ["keep-alive"], keepAlive: true),
        KeepAliveCase(version: "HTTP/1.0", connection: ["Keep-Alive"], keepAlive: true),
        KeepAliveCase(version: "HTTP/1.0", connection: ["keep-alive, Upgrade"], keepAlive: true),
        KeepAliveCase(version: "HTTP/1.0", connection: ["Upgrade", "keep-alive"], keepAlive: true),
        KeepAliveCase(version: "HTTP/1.0", connection: ["keep-alive, close"], keepAlive: false),
        KeepAliveCase(version: "HTTP/1.0", connection: ["keep-alive-ish"], keepAlive: false),
    ])
    func keepAliveRules(_ testCase: KeepAliveCase) throws {
        let fields = testCase.connection.map { "Connection: \($0)\r\n" }.joined()
        let transcript = DripFeedVerifier.verify(bytes("GET / \(testCase.version)\r\nHost: h\r\n\(fields)\r\n"))
        let head = try #require(transcript.heads.first)
        #expect(head.keepAlive == testCase.keepAlive)
        #expect(head.version == (testCase.version == "HTTP/1.0" ? .http1_0 : .http1_1))
    }

    struct ExpectCase: Sendable, CustomTestStringConvertible {
        let request: String
        let expectsContinue: Bool
        let note: String
        var testDescription: String { note }
    }

    @Test(arguments: [
        ExpectCase(request: "POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc", expectsContinue: true, note: "1.1 with body"),
        ExpectCase(request: "POST / HTTP/1.1\r\nExpect: 100-Continue\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", expectsContinue: true, note: "case-insensitive, chunked"),
        ExpectCase(request: "POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", expectsContinue: false, note: "no Expect"),
        ExpectCase(request: "POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc", expectsContinue: false, note: "ignored on 1.0"),
        ExpectCase(request: "POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n", expectsContinue: false, note: "no body announced"),
        ExpectCase(request: "GET / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n", expectsContinue: false, note: "no framing"),
        ExpectCase(request: "POST / HTTP/1.1\r\nExpect: something-else\r\nContent-Length: 3\r\n\r\nabc", expectsContinue: false, note: "other expectation ignored"),
    ])
    func expectContinue(_ testCase: ExpectCase) throws {
        let transcript = DripFeedVerifier.verify(bytes(testCase.request))
        let head = try #require(transcript.heads.first)
        #expect(head.expectsContinue == testCase.expectsContinue)
        #expect(transcript.entries.last == .end)
    }

    @Test func headerLookupIsCaseInsensitiveAndKeepsDuplicates() throws {
        let transcript = DripFeedVerifier.verify(bytes(
            "POST / HTTP/1.1\r\nX-Honeycomb-Team: key1\r\nx-honeycomb-event-time:  2024-05-17T00:00:00Z \r\n"
                + "Accept: a\r\nACCEPT: b\r\naccept:\r\n\r\n"
        ))
        let headers = try #require(transcript.heads.first).headers
        #expect(headers["x-honeycomb-team"] == "key1")
        #expect(headers["X-HONEYCOMB-TEAM"] == "key1")
        #expect(headers["X-Honeycomb-Event-Time"] == "2024-05-17T00:00:00Z")
        #expect(headers.values("Accept") == ["a", "b", ""])
        #expect(headers.count == 5)
        #expect(headers.map(\.name) == ["X-Honeycomb-Team", "x-honeycomb-event-time", "Accept", "ACCEPT", "accept"])
        #expect(headers["Accept-Encoding"] == nil)
    }

    @Test func percentEncodedTargetsAreKeptRaw() throws {
        // libhoney-py sends the dataset unescaped-then-encoded like this (fixture libhoney-py-batch-dataset-unescaped).
        let transcript = DripFeedVerifier.verify(bytes(
            "POST /1/batch/my%20data/set%20%E2%9C%93?x=1&y=%2F HTTP/1.1\r\nHost: 127.0.0.1:8787\r\n"
                + "User-Agent: libhoney-py/2.4.0 python/3.11.7\r\nAccept-Encoding: gzip, deflate\r\nAccept: */*\r\n"
                + "Connection: keep-alive\r\nX-Honeycomb-Team: hcaik_01hzacceptancetestkey0000000000000000000000000000000000000\r\n"
                + "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n[]"
        ))
        let head = try #require(transcript.heads.first)
        #expect(head.target == "/1/batch/my%20data/set%20%E2%9C%93?x=1&y=%2F")
        #expect(head.path == "/1/batch/my%20data/set%20%E2%9C%93")
        #expect(head.query == "x=1&y=%2F")
        #expect(head.headers.count == 8)
        #expect(transcript.bodies == [bytes("[]")])
    }

    @Test func bareLineFeedsAreAcceptedInTheHead() throws {
        let transcript = DripFeedVerifier.verify(bytes("POST /lf HTTP/1.1\nHost: h\nContent-Length: 2\r\nX: y\n\nok"))
        let head = try #require(transcript.heads.first)
        #expect(head.target == "/lf")
        #expect(head.headers["host"] == "h")
        #expect(head.headers["x"] == "y")
        #expect(transcript.bodies == [bytes("ok")])
        #expect(transcript.entries.last == .end)
    }

    @Test func emptyLinesBeforeRequestLineAreSkipped() throws {
        let transcript = DripFeedVerifier.verify(bytes(
            "\r\n\n\r\nGET /a HTTP/1.1\r\n\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 1\r\n\r\nz\r\n"
        ))
        #expect(transcript.heads.map(\.target) == ["/a", "/b"])
        #expect(transcript.bodies == [[], bytes("z")])
        #expect(transcript.endCount == 2)
        // The CRLF some old clients add after a body is skipped (and consumed) as an empty line.
        #expect(transcript.unconsumed.isEmpty)
    }

    @Test func loneCarriageReturnAfterRequestIsKeptUntilItsLineFeedArrives() {
        let transcript = DripFeedVerifier.verify(bytes("GET / HTTP/1.1\r\n\r\n\r"))
        #expect(transcript.endCount == 1)
        #expect(transcript.unconsumed == bytes("\r"))
    }

    @Test func methodsAreTokensAndCaseSensitive() throws {
        let transcript = DripFeedVerifier.verify(bytes(
            "PROPFIND /a HTTP/1.1\r\n\r\nget /b HTTP/1.1\r\n\r\nDELETE /c HTTP/1.1\r\n\r\nOPTIONS * HTTP/1.1\r\n\r\n"
                + "HEAD /d HTTP/1.1\r\n\r\nPATCH /e HTTP/1.1\r\n\r\nPUT /f HTTP/1.1\r\n\r\n"
        ))
        #expect(transcript.heads.map(\.method) == [
            HTTPMethod(rawValue: "PROPFIND"), HTTPMethod(rawValue: "get"), .delete, .options, .head, .patch, .put,
        ])
        #expect(transcript.heads[1].method != .get)
        #expect(transcript.heads[3].path == "*")
    }

    @Test func absoluteFormTargetIsKeptRaw() throws {
        let transcript = DripFeedVerifier.verify(bytes(
            "GET http://example.com:8080/1/events/x?y=1 HTTP/1.1\r\n\r\nGET https://example.com HTTP/1.1\r\n\r\n"
        ))
        #expect(transcript.heads.map(\.target) == ["http://example.com:8080/1/events/x?y=1", "https://example.com"])
        #expect(transcript.heads.map(\.path) == ["/1/events/x", "/"])
    }

    @Test func higherMinorVersionIsTreatedAsHTTP11() throws {
        // RFC 9110 §6.2: process HTTP/1.2 as the highest 1.x minor version implemented.
        let transcript = DripFeedVerifier.verify(bytes("GET / HTTP/1.2\r\n\r\n"))
        #expect(transcript.heads.first?.version == .http1_1)
    }

    @Test func identicalContentLengthsAreMerged() throws {
        let transcript = DripFeedVerifier.verify(bytes(
            "POST / HTTP/1.1\r\nContent-Length: 3\r\ncontent-length: 003\r\nContent-Length: 3, 3\r\n\r\nabc"
        ))
        #expect(transcript.heads.first?.framing == .contentLength(3))
        #expect(transcript.bodies == [bytes("abc")])
        // Every field stays visible as sent.
        #expect(transcript.heads.first?.headers.values("content-length") == ["3", "003", "3, 3"])
    }

    @Test func transferEncodingIsCaseInsensitiveAndEmptyFieldsAreIgnored() {
        let transcript = DripFeedVerifier.verify(bytes(
            "POST / HTTP/1.1\r\nTransfer-Encoding:\r\nTransfer-Encoding: CHUNKED\r\n\r\n1\r\na\r\n0\r\n\r\n"
        ))
        #expect(transcript.heads.first?.framing == .chunked)
        #expect(transcript.bodies == [bytes("a")])
    }

    @Test func obsTextAndTabsAreAllowedInValues() throws {
        let transcript = DripFeedVerifier.verify(bytes("GET / HTTP/1.1\r\nX-Note: caf\u{e9}\tbar \t\r\n\r\n"))
        #expect(transcript.heads.first?.headers["x-note"] == "caf\u{e9}\tbar")
    }

    @Test func largeBodyArrivesInSlices() {
        let body = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let input = bytes("POST / HTTP/1.1\r\nContent-Length: \(body.count)\r\n\r\n") + body
        let transcript = DripFeedVerifier.verify(input)
        #expect(transcript.bodies == [body])
        #expect(transcript.entries.last == .end)
    }

    @Test func resetClearsAnErrorAndParsesAFreshRequest() {
        var parser = RequestParser()
        let bad = bytes("BAD\u{1}METHOD / HTTP/1.1\r\n\r\n")
        let (_, first) = bad.withUnsafeBytes { parser.parse($0) }
        #expect(first == .error(.badRequest("invalid method")))
        parser.reset()
        let good = bytes("GET /ok HTTP/1.1\r\n\r\n")
        let (consumed, second) = good.withUnsafeBytes { parser.parse($0) }
        #expect(consumed == good.count)
        guard case .head(let head) = second else {
            Issue.record("expected a head, got \(second)")
            return
        }
        #expect(head.target == "/ok")
    }

    @Test func emptyInputNeedsMore() {
        var parser = RequestParser()
        let (consumed, event) = [UInt8]().withUnsafeBytes { parser.parse($0) }
        #expect(consumed == 0)
        #expect(event == .needMore)
    }

    @Test func partialHeadIsNotConsumedAndNotRescanned() {
        // picohttpparser's last_len idea: while a head grows, validated lines are skipped and the
        // open line is searched only from where the previous call stopped.
        var parser = RequestParser()
        let partial = bytes("POST /x HTTP/1.1\r\nHost: h\r\nX-Long: ") + Array(repeating: UInt8(ascii: "v"), count: 1000)
        let (consumed, event) = partial.withUnsafeBytes { parser.parse($0) }
        #expect(consumed == 0)
        #expect(event == .needMore)
        let lineStart = "POST /x HTTP/1.1\r\nHost: h\r\n".utf8.count
        #expect(parser.headScan.lineStart == lineStart)
        #expect(parser.headScan.fields.count == 1)
        #expect(parser.headScan.searchedBytes == partial.count - lineStart)

        let complete = partial + bytes("\r\n\r\n")
        let (consumedAll, headEvent) = complete.withUnsafeBytes { parser.parse($0) }
        #expect(consumedAll == complete.count)
        guard case .head(let head) = headEvent else {
            Issue.record("expected a head, got \(headEvent)")
            return
        }
        #expect(head.headers["x-long"]?.utf8.count == 1000)
    }

    @Test func bodyRangesAreSlicesOfTheInputPassedToThatCall() {
        var parser = RequestParser()
        let input = bytes("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
        var remaining = input[...]
        var body: [UInt8] = []
        var events: [String] = []
        while true {
            let (consumed, event) = Array(remaining).withUnsafeBytes { parser.parse($0) }
            switch event {
            case .body(let range):
                let start = remaining.startIndex
                body += remaining[(start + range.lowerBound)..<(start + range.upperBound)]
                events.append("body")
            case .head: events.append("head")
            case .end: events.append("end")
            case .needMore: events.append("needMore")
            case .error(let error): events.append("error \(error)")
            }
            remaining = remaining.dropFirst(consumed)
            if case .needMore = event { break }
            if case .error = event { break }
        }
        #expect(body == bytes("abcde"))
        // The size line and its data come out of one call: one body event per chunk.
        #expect(events == ["head", "body", "body", "end", "needMore"])
    }
}
