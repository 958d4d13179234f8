import Ingest
import TestSupport
import Testing

@Suite struct BatchResponseEncoderTests {
    static let statuses: [EventStatus] = [
        .accepted,
        .rejected(status: 400, message: "Event has too many columns."),
        .rejected(status: 429, message: "quote\" backslash\\ newline\n ✓"),
        .accepted,
    ]

    @Test func jsonIsExactAndCompact() {
        let body = String(decoding: BatchResponseEncoder.json(Self.statuses), as: UTF8.self)
        #expect(body == #"[{"status":202},{"status":400,"error":"Event has too many columns."},{"status":429,"error":"quote\" backslash\\ newline\n ✓"},{"status":202}]"#)
        #expect(BatchResponseEncoder.json([]) == Array("[]".utf8))
        #expect(BatchResponseEncoder.json([.accepted, .rejected(status: 400, message: "…")]) == Array(#"[{"status":202},{"status":400,"error":"…"}]"#.utf8))
        #expect(String(decoding: BatchResponseEncoder.json([.rejected(status: 400, message: "a\u{01}b")]), as: UTF8.self)
            == #"[{"status":400,"error":"a\u0001b"}]"#)
        #expect(TestJSON.isValid(BatchResponseEncoder.json(Self.statuses)))
    }

    @Test func msgpackExactBytes() {
        // [ {"status":202}, {"status":400,"error":"bad"} ]
        let expected: [UInt8] = [0x92,
            0x81, 0xA6] + Array("status".utf8) + [0xCC, 0xCA,
            0x82, 0xA6] + Array("status".utf8) + [0xCD, 0x01, 0x90, 0xA5] + Array("error".utf8) + [0xA3] + Array("bad".utf8)
        #expect(BatchResponseEncoder.msgpack([.accepted, .rejected(status: 400, message: "bad")]) == expected)
        #expect(BatchResponseEncoder.msgpack([]) == [0x90])
    }

    @Test func msgpackDecodesToTheStatuses() throws {
        let long = String(repeating: "e", count: 40)  // str8
        var statuses = Self.statuses + [.rejected(status: 400, message: long)]
        for _ in 0..<20 { statuses.append(.accepted) }  // 25 entries: array16
        let decoded = try TestMsgPackReader.decode(BatchResponseEncoder.msgpack(statuses))
        let expected = TestMsgPackReader.Value.array(statuses.map { status in
            switch status {
            case .accepted: .map([("status", .int(202))])
            case .rejected(let code, let message): .map([("status", .int(Int64(code))), ("error", .string(message))])
            }
        })
        #expect(decoded == expected)
        let body = BatchResponseEncoder.msgpack(statuses)
        #expect(Array(body.prefix(3)) == [0xDC, 0x00, 0x19])
    }
}
