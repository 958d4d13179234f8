import Testing
@testable import HTTP1

/// Seeded random mutation of valid requests. The parser must never trap, must keep its contract on
/// every call (checked inside `DripFeedVerifier.run`), and must reach the same result whether the
/// mutated input arrives whole or in random pieces.
@Suite struct RequestParserFuzzTests {
    static let corpus: [[UInt8]] = [
        bytes("GET /1/auth HTTP/1.1\r\nHost: h\r\nX-Honeycomb-Team: key\r\n\r\n"),
        bytes("POST /1/batch/ds HTTP/1.1\r\nHost: h\r\nContent-Length: 12\r\nContent-Type: application/json\r\n\r\n[{\"a\":1}]   "),
        bytes("POST /v1/traces HTTP/1.1\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n4;x=y\r\nabcd\r\n2\r\nef\r\n0\r\nT: v\r\n\r\n"),
        bytes("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 3\r\n\r\nxyzGET /c?q=1 HTTP/1.1\r\n\r\n"),
        bytes("OPTIONS * HTTP/1.1\nHost: h\n\n\r\nPUT /d HTTP/1.1\r\ncontent-length: 1, 1\r\nconnection: close\r\n\r\n!"),
    ]

    static let interestingBytes: [UInt8] = [0x00, 0x01, 0x09, 0x0A, 0x0D, 0x20, 0x2C, 0x2D, 0x2B, 0x30, 0x3A, 0x3B, 0x46, 0x66, 0x7F, 0x80, 0xFF]
    static let interestingChunks: [[UInt8]] = [
        bytes("\r\n"), bytes("\n"), bytes("\r"), bytes("Transfer-Encoding: chunked\r\n"), bytes("Content-Length: 5\r\n"),
        bytes("Content-Length: 99999999999999999999\r\n"), bytes("0\r\n\r\n"), bytes("ffffffffffffffff\r\n"), bytes(" HTTP/1.1"),
        bytes("Connection: close\r\n"), bytes("Host: x\r\n"), bytes(";ext=1"), bytes(" : "),
        // Sized to cross `smallLimits`: body 30 > 24 bytes, chunk 0x1e > 24, 5 fields > 4, a 150-byte field.
        bytes("Content-Length: 30\r\n"), bytes("1e\r\n"), bytes("A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\n"),
        bytes("X-Pad: " + repeated("p", 150) + "\r\n"), bytes("0;" + repeated("e", 20) + "\r\n"),
    ]

    static let smallLimits = ParserLimits(
        maxRequestLineBytes: 40, maxHeaderBytes: 160, maxHeaderCount: 4, maxBodyBytes: 24,
        maxChunkLineBytes: 12, maxTrailerBytes: 16
    )

    static func mutate(_ input: [UInt8], using generator: inout SeededGenerator) -> [UInt8] {
        var result = input
        for _ in 0..<[1, 1, 1, 2, 3].randomElement(using: &generator)! {
            let position = result.isEmpty ? 0 : Int.random(in: 0..<result.count, using: &generator)
            switch [0, 1, 2, 3, 4, 5, 5, 5, 6].randomElement(using: &generator)! {
            case 0 where !result.isEmpty:
                result[position] = UInt8.random(in: 0...255, using: &generator)
            case 1 where !result.isEmpty:
                result[position] = interestingBytes.randomElement(using: &generator)!
            case 2:
                result.insert(interestingBytes.randomElement(using: &generator)!, at: position)
            case 3 where !result.isEmpty:
                let length = Int.random(in: 1...min(8, result.count - position), using: &generator)
                result.removeSubrange(position..<(position + length))
            case 4 where !result.isEmpty:
                let length = Int.random(in: 1...min(24, result.count - position), using: &generator)
                result.insert(contentsOf: result[position..<(position + length)], at: position)
            case 5:
                // Half the time at a line start, where an inserted field or size line stays well-formed.
                let lineStarts = result.indices.filter { result[$0] == 0x0A }.map { $0 + 1 }
                let at = Bool.random(using: &generator) ? (lineStarts.randomElement(using: &generator) ?? position) : position
                result.insert(contentsOf: interestingChunks.randomElement(using: &generator)!, at: at)
            default:
                result = Array(result.prefix(position))
            }
        }
        return result
    }

    @Test func mutatedRequestsNeverTrapAndAgreeAcrossSplits() {
        var generator = SeededGenerator(seed: 0xF022_2026)
        var disagreements = 0
        var outcomes: [String: Int] = [:]
        for iteration in 0..<20_000 {
            let original = Self.corpus[iteration % Self.corpus.count]
            let input = Self.mutate(original, using: &generator)
            let limits = iteration % 2 == 0 ? Self.smallLimits : ParserLimits()
            let splits = DripFeedVerifier.randomSplitPoints(
                count: Int.random(in: 1...12, using: &generator), inputLength: input.count, using: &generator
            )
            let whole = DripFeedVerifier.run(input, splitAt: [], limits: limits)
            let pieces = DripFeedVerifier.run(input, splitAt: splits, limits: limits)
            outcomes["end", default: 0] += whole.endCount
            outcomes["body", default: 0] += whole.bodies.filter { !$0.isEmpty }.count
            if let error = whole.error {
                outcomes["\(error.status.code)", default: 0] += 1
            }
            if whole != pieces {
                disagreements += 1
                if disagreements <= 3 {
                    Issue.record("iteration \(iteration): split feed differs for input \(input)\nwhole:\n\(whole)\nsplit \(splits):\n\(pieces)")
                }
            }
            if iteration % 50 == 0 {
                let byteByByte = DripFeedVerifier.run(input, splitAt: Array(0..<input.count), limits: limits)
                #expect(byteByByte == whole, "iteration \(iteration): byte-by-byte feed differs for input \(input)")
            }
        }
        #expect(disagreements == 0)
        // The mutations must reach deep: complete requests with bodies, and every error status.
        #expect(outcomes["end", default: 0] > 8_000, "\(outcomes)")
        #expect(outcomes["body", default: 0] > 3_000, "\(outcomes)")
        for status in ["400", "413", "414", "431", "501", "505"] {
            #expect(outcomes[status, default: 0] > 20, "status \(status) rarely reached: \(outcomes)")
        }
    }

    @Test func randomGarbageNeverTraps() {
        var generator = SeededGenerator(seed: 0xBAD_B17E5)
        for iteration in 0..<2_000 {
            let length = Int.random(in: 0...300, using: &generator)
            var input = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if iteration % 2 == 0 {
                // Give half of them a plausible start so the parser gets past the request line.
                input = bytes("POST / HTTP/1.1\r\n") + input
            }
            let whole = DripFeedVerifier.run(input, splitAt: [])
            let pieces = DripFeedVerifier.run(
                input, splitAt: DripFeedVerifier.randomSplitPoints(count: 8, inputLength: input.count, using: &generator)
            )
            #expect(whole == pieces, "iteration \(iteration)")
        }
    }
}
