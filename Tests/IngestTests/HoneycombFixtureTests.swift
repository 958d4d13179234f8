import Foundation
import Ingest
import TestSupport
import Testing

/// Every Honeycomb JSON capture decodes to exactly what the capture server decoded.
@Suite struct HoneycombFixtureTests {
    /// 2024-06-01T00:00:00Z: after every fixture time, so none is "in the future".
    static let receiveTime: Int64 = 1_717_200_000 * 1_000_000_000
    static let key = "hcaik_01hzacceptancetestkey0000000000000000000000000000000000000"

    static let batchFixtures = [
        "libhoney-py-batch",
        "libhoney-py-batch-nogzip",
        "libhoney-go-batch-json-zstd",
        "libhoney-go-batch-json-nocompress",
        "libhoney-go-batch-dataset-escaped",
    ]

    @Test(arguments: batchFixtures)
    func batchFixtureDecodesLikeTheCaptureServer(name: String) throws {
        let fixture = try WireFixture(name)
        let encoding = try #require(ContentEncoding(headerValue: fixture.header("Content-Encoding")))
        let body = try ContentDecoder.decode(fixture.body, encoding: encoding, maxDecodedBytes: 20 << 20)
        let decoder = HoneycombDecoder()
        let keyID = APIKeyID.of(try #require(fixture.header("X-Honeycomb-Team")))
        let decoded = try decoder.decodeBatch(body: body, dataset: "ds", keyID: keyID, receiveTimeNanos: Self.receiveTime)

        guard case .array(let expected) = fixture.decoded else {
            Issue.record("fixture \(name) has no decoded array")
            return
        }
        #expect(decoded.statuses == Array(repeating: .accepted, count: expected.count))
        #expect(decoded.batch.events.count == expected.count)
        #expect(decoded.batch.keyID == APIKeyID.of(Self.key))
        for (record, want) in zip(decoded.batch.events, expected) {
            let dataBytes = Array(decoded.batch.body[record.dataRange])
            // Valid JSON for an independent parser too.
            #expect((try? JSONSerialization.jsonObject(with: Data(dataBytes))) is [String: Any])
            let data = try TestJSON.parse(dataBytes)
            #expect(data == want["data"], "data of \(name)")
            guard case .string(let timeText)? = want["time"] else {
                Issue.record("fixture event without time")
                continue
            }
            #expect(record.timeUnixNanos == ReferenceTime.unixNanos(timeText), "time \(timeText)")
            if case .number(let rate)? = want["samplerate"] {
                #expect(record.sampleRate == Int(rate))
            } else {
                #expect(record.sampleRate == 1)
            }
        }
    }

    @Test func bigIntegerSurvivesByteForByte() throws {
        let fixture = try WireFixture("libhoney-go-batch-json-nocompress")
        let decoded = try HoneycombDecoder().decodeBatch(
            body: fixture.body, dataset: "ds", keyID: "k", receiveTimeNanos: Self.receiveTime)
        for record in decoded.batch.events {
            let text = String(decoding: decoded.batch.body[record.dataRange], as: UTF8.self)
            #expect(text.contains("\"int64_big\":9007199254740993,"))
            #expect(text.hasPrefix("{\"bool_field\""))
            #expect(text.hasSuffix("\"unicode\":\"héllo wörld ✓ 日本語 🐝\"}"))
        }
        // The oracle itself notices a lost last digit.
        #expect(TestJSON.number("9007199254740993") != TestJSON.number("9007199254740992"))
    }

    @Test func pyFixtureKeepsLocalOffsetsAndSampleRates() throws {
        let fixture = try WireFixture("libhoney-py-batch")
        let body = try ContentDecoder.decode(fixture.body, encoding: .gzip, maxDecodedBytes: 1 << 20)
        #expect(body.count == 8221)
        let decoded = try HoneycombDecoder().decodeBatch(body: body, dataset: "ds", keyID: "k", receiveTimeNanos: Self.receiveTime)
        #expect(decoded.batch.events.count == 10)
        // Event 1 is "2024-05-17T14:34:56.926123+02:00" = 12:34:56.926123Z.
        #expect(decoded.batch.events[1].timeUnixNanos == 1_715_949_296_926_123_000)
        #expect(decoded.batch.events[1].sampleRate == 5)
        #expect(decoded.batch.events[2].sampleRate == 10)
        #expect(decoded.batch.dataByteCount < body.count)
    }

    @Test func escapedDatasetFixtureKeepsTheGivenDatasetName() throws {
        let fixture = try WireFixture("libhoney-go-batch-dataset-escaped")
        let decoded = try HoneycombDecoder().decodeBatch(
            body: fixture.body, dataset: "my data/set ✓", keyID: "k", receiveTimeNanos: Self.receiveTime)
        #expect(decoded.batch.dataset == "my data/set ✓")
        #expect(decoded.batch.events.count == 1)
    }

    @Test func singleEventFixture() throws {
        let fixture = try WireFixture("honeycomb-events-single-synthetic")
        let batch = try HoneycombDecoder().decodeSingle(
            body: fixture.body, dataset: "acceptance-single", keyID: "k",
            eventTimeHeader: fixture.header("X-Honeycomb-Event-Time"),
            sampleRateHeader: fixture.header("X-Honeycomb-Samplerate"),
            receiveTimeNanos: Self.receiveTime)
        #expect(batch.events.count == 1)
        let record = try #require(batch.events.first)
        #expect(record.sampleRate == 4)
        #expect(record.timeUnixNanos == ReferenceTime.unixNanos("2024-05-17T12:34:56.789Z"))
        #expect(record.timeUnixNanos == 1_715_949_296_789_000_000)
        #expect(record.dataRange == 0..<fixture.body.count)
        #expect(try TestJSON.parse(batch.body[record.dataRange]) == fixture.decoded)
    }

    @Test func zstdFixtureHasDeclaredContentSize() throws {
        let fixture = try WireFixture("libhoney-go-batch-json-zstd")
        let body = try ContentDecoder.decode(fixture.body, encoding: .zstd, maxDecodedBytes: 1 << 20)
        #expect(body.count == 2185)
        #expect(body.capacity >= body.count + 64)
        // A limit just below the declared size refuses before decoding.
        #expect(throws: ContentDecodingError.tooLarge(limitBytes: 2184)) {
            try ContentDecoder.decode(fixture.body, encoding: .zstd, maxDecodedBytes: 2184)
        }
    }
}
