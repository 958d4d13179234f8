import EventModel
import Ingest
import Testing

@Suite struct SingleEventTests {
    static let receiveTime: Int64 = 1_717_200_000 * 1_000_000_000

    func decode(
        _ text: String, time: String? = nil, sampleRate: String? = nil
    ) throws(IngestError) -> EventBatch {
        try HoneycombDecoder().decodeSingle(
            body: Array(text.utf8), dataset: "ds", keyID: "k", eventTimeHeader: time, sampleRateHeader: sampleRate,
            receiveTimeNanos: Self.receiveTime)
    }

    @Test func bodyIsTheDataObjectWithoutSurroundingWhitespace() throws {
        let batch = try decode("\n  {\"a\": [1, {\"b\": null}]}  \r\n")
        let record = try #require(batch.events.first)
        #expect(String(decoding: batch.body[record.dataRange], as: UTF8.self) == "{\"a\": [1, {\"b\": null}]}")
        #expect(record.sampleRate == 1)
        #expect(record.timeUnixNanos == Self.receiveTime)
        #expect(batch.dataset == "ds")
    }

    @Test(arguments: [
        ("2024-05-17T12:34:56.789Z", Int64(1_715_949_296_789_000_000)),
        ("1715949296789", 1_715_949_296_789_000_000),
        ("1715949296", 1_715_949_296_000_000_000),
        (" 1715949296.5 ", 1_715_949_296_500_000_000),
        ("garbage", SingleEventTests.receiveTime),
        ("", SingleEventTests.receiveTime),
        ("2099-01-01T00:00:00Z", SingleEventTests.receiveTime),
    ])
    func eventTimeHeader(header: String, expected: Int64) throws {
        #expect(try decode(#"{"a":1}"#, time: header).events.first?.timeUnixNanos == expected)
    }

    @Test(arguments: [
        ("4", 4), (" 12 ", 12), ("0", 1), ("-3", 1), ("abc", 1), ("2.5", 1), ("", 1),
        ("99999999999999999999", 1),
    ])
    func sampleRateHeader(header: String, expected: Int) throws {
        #expect(try decode(#"{"a":1}"#, sampleRate: header).events.first?.sampleRate == expected)
    }

    @Test func missingSampleRateHeaderIsOne() throws {
        #expect(try decode(#"{"a":1}"#).events.first?.sampleRate == 1)
    }

    @Test func emptyObjectIsAnEmptyBody() {
        #expect(throws: IngestError.emptyBody) { try decode("{}") }
        #expect(throws: IngestError.emptyBody) { try decode("  ") }
        #expect(throws: IngestError.emptyBody) { try decode(" { } ") }
    }

    @Test(arguments: [
        "[{\"a\":1}]", "\"text\"", "1", "null", "{\"a\":1", "{\"a\":1}}", "{\"a\":1} {}", "{\"a\":tru}",
        "{\"a\":\"\\x\"}", "{\"a\":1,}", "{a:1}",
    ])
    func malformedSingleBodies(text: String) {
        #expect(throws: IngestError.malformed) { try decode(text) }
    }

    @Test func tooDeepSingleEventIsMalformed() throws {
        let limit = HoneycombDecoder.maxEventDepth
        _ = try decode(BatchDecodingTests.nested(limit))
        #expect(throws: IngestError.malformed) { try decode(BatchDecodingTests.nested(limit + 1)) }
    }

    @Test func tooLargeIsRefused() {
        #expect(throws: IngestError.tooLarge) {
            try HoneycombDecoder(limits: IngestLimits(maxDecodedBodyBytes: 4)).decodeSingle(
                body: Array(#"{"a":1}"#.utf8), dataset: "ds", keyID: "k", eventTimeHeader: nil, sampleRateHeader: nil,
                receiveTimeNanos: 0)
        }
    }

    @Test func errorStatusesAndTexts() {
        #expect(IngestError.emptyBody.status == 400)
        #expect(IngestError.emptyBody.message == "Request body should not be empty.")
        #expect(IngestError.malformed.status == 400)
        #expect(IngestError.malformed.message == "Request body is malformed and cannot be read.")
        #expect(IngestError.tooLarge.status == 413)
        #expect(IngestError.tooLarge.message == "Request body is too large.")
        #expect(IngestError.unsupportedContentEncoding.status == 415)
    }
}
