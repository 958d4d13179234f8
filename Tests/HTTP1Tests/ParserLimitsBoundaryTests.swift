import Testing
@testable import HTTP1

/// Every limit at N-1, N and N+1. What N counts is documented on `ParserLimits`; the inputs here are
/// built to hit exact sizes under that definition.
@Suite struct ParserLimitsBoundaryTests {
    @Test func defaults() {
        let limits = ParserLimits()
        #expect(limits.maxRequestLineBytes == 8 * 1024)
        #expect(limits.maxHeaderBytes == 32 * 1024)
        #expect(limits.maxHeaderCount == 100)
        #expect(limits.maxBodyBytes == 8 * 1024 * 1024)
        #expect(limits.maxChunkLineBytes == 1024)
        #expect(limits.maxTrailerBytes == 8 * 1024)
    }

    /// A request line of exactly `length` bytes (terminator excluded).
    static func requestLine(length: Int) -> String {
        let fixed = "GET / HTTP/1.1".utf8.count
        return "GET /" + repeated("a", length - fixed) + " HTTP/1.1"
    }

    @Test(arguments: [(8191, true), (8192, true), (8193, false)])
    func requestLineAtDefaultLimit(length: Int, accepted: Bool) {
        for terminator in ["\r\n", "\n"] {
            let input = bytes(Self.requestLine(length: length) + terminator + terminator)
            let transcript = DripFeedVerifier.verify(input, randomSplitCount: 50)
            #expect(transcript.error == (accepted ? nil : .uriTooLong))
            #expect(transcript.heads.count == (accepted ? 1 : 0))
        }
    }

    @Test(arguments: [(63, true), (64, true), (65, false)])
    func requestLineAtConfiguredLimit(length: Int, accepted: Bool) {
        let limits = ParserLimits(maxRequestLineBytes: 64)
        let transcript = DripFeedVerifier.verify(bytes(Self.requestLine(length: length) + "\r\nHost: h\r\n\r\n"), limits: limits)
        #expect(transcript.error == (accepted ? nil : .uriTooLong))
    }

    @Test func requestLineLimitHitsBeforeTheLineEnds() {
        // An endless request line fails once N+2 bytes are buffered without a line feed.
        var parser = RequestParser(limits: ParserLimits(maxRequestLineBytes: 64))
        let tooMuch = bytes("GET /" + repeated("a", 61))  // 66 = N + 2 bytes, no LF
        let notYet = Array(tooMuch.dropLast())
        #expect(notYet.withUnsafeBytes { parser.parse($0) }.event == .needMore)
        #expect(tooMuch.withUnsafeBytes { parser.parse($0) }.event == .error(.uriTooLong))
    }

    /// A head of exactly `total` bytes: request line, one padded header, empty line, all with CRLF.
    static func head(totalBytes total: Int) -> String {
        let fixed = "GET / HTTP/1.1\r\nX: \r\n\r\n".utf8.count
        return "GET / HTTP/1.1\r\nX: " + repeated("v", total - fixed) + "\r\n\r\n"
    }

    @Test(arguments: [(32767, true), (32768, true), (32769, false)])
    func headBytesAtDefaultLimit(total: Int, accepted: Bool) {
        let transcript = DripFeedVerifier.verify(bytes(Self.head(totalBytes: total)), randomSplitCount: 50)
        #expect(transcript.error == (accepted ? nil : .headerFieldsTooLarge))
        #expect(transcript.heads.count == (accepted ? 1 : 0))
    }

    @Test(arguments: [(255, true), (256, true), (257, false)])
    func headBytesAtConfiguredLimit(total: Int, accepted: Bool) {
        let limits = ParserLimits(maxHeaderBytes: 256)
        let transcript = DripFeedVerifier.verify(bytes(Self.head(totalBytes: total)), limits: limits)
        #expect(transcript.error == (accepted ? nil : .headerFieldsTooLarge))
    }

    @Test func headBytesIncludeEveryHeaderLineAndTheEmptyLine() {
        // Request line 16 + three 9-byte fields + empty line 2 = 45 bytes; with bare LFs 15 + 3 × 8 + 1 = 40.
        let crlf = "GET / HTTP/1.1\r\nA: 1234\r\nB: 1234\r\nC: 1234\r\n\r\n"
        let lf = "GET / HTTP/1.1\nA: 1234\nB: 1234\nC: 1234\n\n"
        #expect(crlf.utf8.count == 45 && lf.utf8.count == 40)
        #expect(DripFeedVerifier.verify(bytes(crlf), limits: ParserLimits(maxHeaderBytes: 45)).error == nil)
        #expect(DripFeedVerifier.verify(bytes(crlf), limits: ParserLimits(maxHeaderBytes: 44)).error == .headerFieldsTooLarge)
        #expect(DripFeedVerifier.verify(bytes(lf), limits: ParserLimits(maxHeaderBytes: 40)).error == nil)
        #expect(DripFeedVerifier.verify(bytes(lf), limits: ParserLimits(maxHeaderBytes: 39)).error == .headerFieldsTooLarge)
    }

    @Test func slowDripOfAnEndlessHeaderHitsTheLimitWhileIncomplete() {
        // N = 256: with N-1 head bytes buffered the parser still waits; at N bytes without the
        // end of the head it knows the head cannot fit and fails, long before any line ends.
        let limits = ParserLimits(maxHeaderBytes: 256)
        var parser = RequestParser(limits: limits)
        var buffered = bytes("GET / HTTP/1.1\r\nX-Endless: ")
        while buffered.count < 255 {
            buffered.append(UInt8(ascii: "e"))
            let (consumed, event) = buffered.withUnsafeBytes { parser.parse($0) }
            #expect(consumed == 0 && event == .needMore)
        }
        buffered.append(UInt8(ascii: "e"))
        #expect(buffered.withUnsafeBytes { parser.parse($0) }.event == .error(.headerFieldsTooLarge))
    }

    @Test(arguments: [(4, true), (5, true), (6, false)])
    func headerCount(count: Int, accepted: Bool) {
        let limits = ParserLimits(maxHeaderCount: 5)
        let fields = (0..<count).map { "X-\($0): v\r\n" }.joined()
        let transcript = DripFeedVerifier.verify(bytes("GET / HTTP/1.1\r\n\(fields)\r\n"), limits: limits)
        #expect(transcript.error == (accepted ? nil : .headerFieldsTooLarge))
        #expect(transcript.heads.first?.headers.count == (accepted ? count : nil))
    }

    @Test(arguments: [(99, true), (100, true), (101, false)])
    func bodyBytesByContentLength(length: Int, accepted: Bool) {
        let limits = ParserLimits(maxBodyBytes: 100)
        let body = repeated("b", length)
        let transcript = DripFeedVerifier.verify(bytes("POST / HTTP/1.1\r\nContent-Length: \(length)\r\n\r\n\(body)"), limits: limits)
        #expect(transcript.heads.count == 1)
        #expect(transcript.error == (accepted ? nil : .payloadTooLarge))
        #expect(transcript.bodies == [accepted ? bytes(body) : []])
    }

    @Test(arguments: [(99, true), (100, true), (101, false)])
    func bodyBytesByChunkedSum(length: Int, accepted: Bool) {
        // 60 bytes, then the rest: the limit is on the sum of chunk sizes, checked per size line.
        let limits = ParserLimits(maxBodyBytes: 100)
        let first = repeated("c", 60)
        let second = repeated("d", length - 60)
        let input = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "3c\r\n\(first)\r\n" + String(length - 60, radix: 16) + "\r\n\(second)\r\n0\r\n\r\n"
        let transcript = DripFeedVerifier.verify(bytes(input), limits: limits)
        #expect(transcript.error == (accepted ? nil : .payloadTooLarge))
        // Data of the chunk that would cross the limit is never delivered.
        #expect(transcript.bodies == [bytes(accepted ? first + second : first)])
    }

    /// A chunk-size line of exactly `length` bytes before its CRLF ("5;" plus extension padding).
    static func chunkedBody(sizeLineLength length: Int) -> String {
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;" + repeated("x", length - 2) + "\r\nhello\r\n0\r\n\r\n"
    }

    @Test(arguments: [(15, true), (16, true), (17, false)])
    func chunkLineBytes(length: Int, accepted: Bool) {
        let limits = ParserLimits(maxChunkLineBytes: 16)
        let transcript = DripFeedVerifier.verify(bytes(Self.chunkedBody(sizeLineLength: length)), limits: limits)
        #expect(transcript.error == (accepted ? nil : .badRequest("chunk size line too long")))
    }

    @Test(arguments: [(1023, true), (1024, true), (1025, false)])
    func chunkLineBytesAtDefaultLimit(length: Int, accepted: Bool) {
        let transcript = DripFeedVerifier.verify(bytes(Self.chunkedBody(sizeLineLength: length)), randomSplitCount: 50)
        #expect(transcript.error == (accepted ? nil : .badRequest("chunk size line too long")))
    }

    /// Trailer fields totalling exactly `total` bytes (each line with its CRLF; final empty line not counted).
    static func chunkedBody(trailerBytes total: Int) -> String {
        let first = "A: 1\r\n"
        let second = "B: " + repeated("t", total - first.utf8.count - 5) + "\r\n"
        return "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nz\r\n0\r\n" + first + second + "\r\n"
    }

    @Test(arguments: [(31, true), (32, true), (33, false)])
    func trailerBytes(total: Int, accepted: Bool) {
        let limits = ParserLimits(maxTrailerBytes: 32)
        let transcript = DripFeedVerifier.verify(bytes(Self.chunkedBody(trailerBytes: total)), limits: limits)
        #expect(transcript.error == (accepted ? nil : .headerFieldsTooLarge))
        #expect(transcript.endCount == (accepted ? 1 : 0))
    }

    @Test func zeroTrailerBudgetStillAcceptsTheFinalEmptyLine() {
        let limits = ParserLimits(maxTrailerBytes: 0)
        let ok = DripFeedVerifier.verify(bytes("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), limits: limits)
        #expect(ok.endCount == 1)
        let tooMuch = DripFeedVerifier.verify(bytes("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA:\r\n\r\n"), limits: limits)
        #expect(tooMuch.error == .headerFieldsTooLarge)
    }

    @Test func requestLineLimitAboveHeadLimitReportsTheHeadLimit() {
        // Whichever limit a line crosses first wins; here the head limit is the smaller one.
        let limits = ParserLimits(maxRequestLineBytes: 1000, maxHeaderBytes: 100)
        let transcript = DripFeedVerifier.verify(bytes(Self.requestLine(length: 200) + "\r\n\r\n"), limits: limits)
        #expect(transcript.error == .headerFieldsTooLarge)
    }

    @Test func negativeLimitsAreClampedInsteadOfTrapping() {
        let limits = ParserLimits(
            maxRequestLineBytes: -1, maxHeaderBytes: -1, maxHeaderCount: -1, maxBodyBytes: -1,
            maxChunkLineBytes: -1, maxTrailerBytes: -1
        )
        #expect(RequestParser(limits: limits).limits == ParserLimits(
            maxRequestLineBytes: 0, maxHeaderBytes: 0, maxHeaderCount: 0, maxBodyBytes: 0, maxChunkLineBytes: 0, maxTrailerBytes: 0
        ))
        let transcript = DripFeedVerifier.verify(bytes("GET / HTTP/1.1\r\n\r\n"), limits: limits)
        #expect(transcript.error == .headerFieldsTooLarge)
    }
}
