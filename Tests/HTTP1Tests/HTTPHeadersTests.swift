import Testing
@testable import HTTP1

@Suite struct HTTPHeadersTests {
    static func parsedHeaders(_ fields: String) throws -> HTTPHeaders {
        var parser = RequestParser()
        let input = bytes("GET / HTTP/1.1\r\n\(fields)\r\n")
        let (_, event) = input.withUnsafeBytes { parser.parse($0) }
        guard case .head(let head) = event else {
            throw HeadMissing(event: event)
        }
        return head.headers
    }

    struct HeadMissing: Error {
        let event: ParseEvent
    }

    @Test func lookupsIgnoreASCIICaseOnly() throws {
        let headers = try Self.parsedHeaders("Content-Type: application/json\r\nX-A: 1\r\nx-a: 2\r\n")
        #expect(headers["content-type"] == "application/json")
        #expect(headers.first("CONTENT-TYPE") == "application/json")
        #expect(headers.values("X-A") == ["1", "2"])
        #expect(headers.contains("x-A"))
        #expect(!headers.contains("X-B"))
        #expect(!headers.contains("Content-Typ"))
        #expect(!headers.contains("Content-Type-"))
        // '^' and '~' are both token bytes and differ only in bit 0x20, like 'A' and 'a'; they must not fold.
        let symbols = try Self.parsedHeaders("X-^: caret\r\n")
        #expect(symbols["x-~"] == nil)
        #expect(symbols["X-^"] == "caret")
    }

    @Test func zeroCopyValueAccess() throws {
        let headers = try Self.parsedHeaders("X-Honeycomb-Team: hcaik_01\r\n")
        let length = headers.withValueBytes("x-honeycomb-team") { $0?.count }
        #expect(length == 8)
        let prefix = headers.withValueBytes("X-Honeycomb-Team") { bytes in bytes.map { Array($0.prefix(5)) } }
        #expect(prefix == Array("hcaik".utf8))
        #expect(headers.withValueBytes("missing") { $0 == nil })
    }

    @Test func iterationKeepsWireOrderAndDuplicates() throws {
        let headers = try Self.parsedHeaders("B: 2\r\nA: 1\r\nB: 3\r\n")
        #expect(headers.count == 3)
        #expect(headers.map(\.name) == ["B", "A", "B"])
        #expect(headers.map(\.value) == ["2", "1", "3"])
        let fieldAtOne = headers.withField(at: 1) { name, value in
            (String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
        }
        #expect(fieldAtOne == ("A", "1"))
    }

    @Test func builtFromPairsEqualsParsed() throws {
        let built = HTTPHeaders([("Host", "h"), ("X-A", "1")])
        let parsed = try Self.parsedHeaders("Host: h\r\nX-A:   1  \r\n")
        #expect(built == parsed)
        #expect(built != HTTPHeaders([("Host", "h"), ("X-A", "2")]))
        #expect(built != HTTPHeaders([("host", "h"), ("X-A", "1")]))
        #expect(HTTPHeaders().isEmpty)
        #expect(HTTPHeaders()["Host"] == nil)
        #expect(built.description == "[Host: h, X-A: 1]")
    }

    @Test func headersOutliveTheInputBuffer() throws {
        var parser = RequestParser()
        var input = bytes("GET / HTTP/1.1\r\nX-Keep: value\r\n\r\n")
        let (_, event) = input.withUnsafeBytes { parser.parse($0) }
        for index in input.indices { input[index] = 0 }
        guard case .head(let head) = event else {
            Issue.record("expected head")
            return
        }
        #expect(head.headers["x-keep"] == "value")
    }

    @Test func tokenByteTableMatchesRFC9110() {
        let tchars = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
        for byte in UInt8.min...UInt8.max {
            #expect(ByteScan.isTokenByte(byte) == tchars.contains(byte), "byte \(byte)")
        }
    }

    @Test func wordAtATimeScansMatchBytewiseScans() {
        var generator = SeededGenerator(seed: 42)
        let alphabet: [UInt8] = [0x09, 0x0A, 0x0D, 0x20, 0x41, 0x7E, 0x7F, 0x80, 0x00, 0x1F]
        for _ in 0..<2_000 {
            let length = Int.random(in: 0...40, using: &generator)
            let data = (0..<length).map { _ in
                Bool.random(using: &generator) ? alphabet.randomElement(using: &generator)! : UInt8.random(in: 0x21...0x7E, using: &generator)
            }
            let from = Int.random(in: 0...length, using: &generator)
            data.withUnsafeBytes { raw in
                let base = raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
                #expect(ByteScan.firstLineFeed(base, from: from, to: length) == data[from...].firstIndex(of: 0x0A))
                #expect(
                    ByteScan.firstInvalidFieldValueByte(base, from: from, to: length)
                        == data[from...].firstIndex { !($0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F)) }
                )
            }
        }
    }
}
