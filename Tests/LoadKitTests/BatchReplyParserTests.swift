import Testing

@testable import LoadKit

@Suite struct BatchReplyParserTests {
    @Test func jsonStatusesInOrder() {
        let body = Array(#"[{"status":202},{ "status" : 400, "error":"bad \"status\": 1"},{"status":202}]"#.utf8)
        #expect(BatchReplyParser.statuses(json: body) == [202, 400, 202])
        #expect(BatchReplyParser.statuses(json: Array("[]".utf8)) == [])
        #expect(BatchReplyParser.statuses(json: Array(#"[{"status":"x"}]"#.utf8)) == nil)
    }

    @Test func msgpackStatuses() {
        var body: [UInt8] = []
        MsgPackWriter.appendArrayHeader(3, to: &body)
        for status: Int64 in [202, 429, 202] {
            MsgPackWriter.appendMapHeader(status == 429 ? 2 : 1, to: &body)
            MsgPackWriter.appendString("status", to: &body)
            MsgPackWriter.appendInt(status, to: &body)
            if status == 429 {
                MsgPackWriter.appendString("error", to: &body)
                MsgPackWriter.appendString("slow down", to: &body)
            }
        }
        #expect(BatchReplyParser.statuses(msgpack: body) == [202, 429, 202])
        #expect(BatchReplyParser.statuses(msgpack: Array(body.dropLast())) == nil)
    }
}
