import Foundation
import Ingest
import TestSupport
import Testing

/// The real libhoney-go msgpack capture decodes to what the capture server saw, and stores the same data
/// as the libhoney-go JSON capture of the same events.
@Suite struct MsgPackFixtureTests {
    static let receiveTime: Int64 = 1_717_200_000 * 1_000_000_000
    static let name = "libhoney-go-batch-msgpack-zstd"

    /// The capture server's rendering of msgpack-only values, turned into what Kelpie stores:
    /// timestamps → RFC3339Nano strings, bin → base64 strings.
    static func expectedStored(_ value: TestJSON) -> TestJSON {
        switch value {
        case .object(let fields):
            if case .string(let text)? = value["$msgpack_timestamp"] { return .string(text) }
            if case .string(let base64)? = value["$bytes_b64"] { return .string(base64) }
            return .object(fields.map { ($0.key, expectedStored($0.value)) })
        case .array(let items):
            return .array(items.map(expectedStored))
        default:
            return value
        }
    }

    static func decodeFixture() throws -> (DecodedRequest, WireFixture) {
        let fixture = try WireFixture(name)
        #expect(fixture.header("Content-Type") == "application/msgpack")
        let encoding = try #require(ContentEncoding(headerValue: fixture.header("Content-Encoding")))
        #expect(encoding == .zstd)
        let decoder = HoneycombDecoder()
        let body = try decoder.decodeContent(fixture.body, contentEncoding: fixture.header("Content-Encoding"))
        #expect(body.count == 1650)
        let keyID = APIKeyID.of(try #require(fixture.header("X-Honeycomb-Team")))
        let decoded = try decoder.decodeMsgPackBatch(
            body: body, dataset: "acceptance-libhoney-go", keyID: keyID, receiveTimeNanos: receiveTime)
        return (decoded, fixture)
    }

    @Test func everyEventMatchesTheCaptureServer() throws {
        let (decoded, fixture) = try Self.decodeFixture()
        guard case .array(let expected) = fixture.decoded else {
            Issue.record("fixture has no decoded array")
            return
        }
        #expect(expected.count == 5)
        #expect(decoded.statuses == Array(repeating: .accepted, count: expected.count))
        #expect(decoded.batch.events.count == expected.count)
        #expect(decoded.batch.dataset == "acceptance-libhoney-go")
        for (record, want) in zip(decoded.batch.events, expected) {
            let dataBytes = Array(decoded.batch.body[record.dataRange])
            #expect((try? JSONSerialization.jsonObject(with: Data(dataBytes))) is [String: Any])
            let data = try TestJSON.parse(dataBytes)
            #expect(data == Self.expectedStored(try #require(want["data"])))
            guard case .string(let timeText)? = want["time"]?["$msgpack_timestamp"] else {
                Issue.record("fixture event without time")
                continue
            }
            #expect(record.timeUnixNanos == ReferenceTime.unixNanos(timeText), "time \(timeText)")
            if case .number(let rate)? = want["samplerate"] {
                #expect(record.sampleRate == Int(rate))
            } else {
                #expect(record.sampleRate == 1)
            }
            // Exact bytes for the values whose JSON form is a choice.
            let text = String(decoding: dataBytes, as: UTF8.self)
            #expect(text.contains(#""int64_big":9007199254740993"#))
            #expect(text.contains(#""bytes_field":"cmF3AGJ5dGVz""#))
            #expect(text.contains(#""nil_field":null"#))
            #expect(text.contains(#""float32":1.5"#))
            #expect(text.contains(#""ts_field":"2024-05-17T12:34:56.789123456Z""#))
            #expect(text.contains(#""unicode":"héllo wörld ✓ 日本語 🐝""#))
            #expect(!text.contains(", ") && !text.contains(": "), "compact output")
        }
        #expect(decoded.batch.events.map(\.sampleRate) == [1, 2, 3, 1, 2])
        #expect(decoded.batch.events[0].timeUnixNanos == 1_715_949_296_789_123_456)
        #expect(decoded.batch.events[4].timeUnixNanos == 1_715_949_296_793_123_456)
    }

    /// "JSON and msgpack senders store identical data": libhoney-go's JSON capture of the same five events
    /// stores the same data, time and sample rate, apart from `nil_field`, which Go's JSON encoding omits.
    @Test func msgpackAndJSONCapturesStoreTheSameEvents() throws {
        let (msgpack, _) = try Self.decodeFixture()
        let jsonFixture = try WireFixture("libhoney-go-batch-json-zstd")
        let decoder = HoneycombDecoder()
        let jsonBody = try decoder.decodeContent(jsonFixture.body, contentEncoding: jsonFixture.header("Content-Encoding"))
        let json = try decoder.decodeBatch(body: jsonBody, dataset: "acceptance-libhoney-go", keyID: "k", receiveTimeNanos: Self.receiveTime)
        #expect(json.batch.events.count == msgpack.batch.events.count)
        for (fromMsgPack, fromJSON) in zip(msgpack.batch.events, json.batch.events) {
            guard case .object(let fields) = try TestJSON.parse(msgpack.batch.body[fromMsgPack.dataRange]) else {
                Issue.record("msgpack data is not an object")
                continue
            }
            #expect(fields.contains { $0.key == "nil_field" && $0.value == .null })
            let withoutNil = TestJSON.object(fields.filter { $0.key != "nil_field" })
            #expect(withoutNil == (try TestJSON.parse(json.batch.body[fromJSON.dataRange])))
            #expect(fromMsgPack.timeUnixNanos == fromJSON.timeUnixNanos)
            #expect(fromMsgPack.sampleRate == fromJSON.sampleRate)
        }
        // The nocompress capture holds the first three of the same events.
        let nocompress = try WireFixture("libhoney-go-batch-json-nocompress")
        let first3 = try decoder.decodeBatch(body: nocompress.body, dataset: "d", keyID: "k", receiveTimeNanos: Self.receiveTime)
        for (index, fromJSON) in first3.batch.events.enumerated() {
            let fromMsgPack = msgpack.batch.events[index]
            guard case .object(let fields) = try TestJSON.parse(msgpack.batch.body[fromMsgPack.dataRange]) else { continue }
            #expect(TestJSON.object(fields.filter { $0.key != "nil_field" }) == (try TestJSON.parse(first3.batch.body[fromJSON.dataRange])))
        }
    }
}
