import Foundation
import Ingest
import TestSupport
import Testing

/// Every OTLP capture (OTel Python 1.45.2, protobuf, gzip and OTLP/JSON) decodes to exactly the flat
/// events in Fixtures/otlp/NAME.expected.jsonl, which derive-expected.py derives from the capture
/// server's own decoding (NAME.decoded.json) by the documented mapping, without running Kelpie.
@Suite struct OTLPFixtureTests {
    /// 2027-01-15: after every fixture time, so none is replaced as "in the future".
    static let receiveTime: Int64 = 1_800_000_000 * 1_000_000_000

    static let fixtures = [
        "otel-py-traces-protobuf",
        "otel-py-traces-protobuf-gzip",
        "otel-py-traces-json-synthetic",
        "otel-py-logs-protobuf",
        "otel-py-logs-json-synthetic",
        "otel-py-metrics-protobuf",
        "otel-py-metrics-json-synthetic",
    ]

    struct FlatEvent: CustomStringConvertible {
        var dataset: String
        var time: Int64
        var sampleRate: Int
        var data: TestJSON
        var dataBytes: [UInt8]
        var description: String { "\(dataset) \(time) \(sampleRate) \(data)" }
    }

    static func signal(of name: String) -> OTLPSignal {
        name.contains("-traces-") ? .traces : name.contains("-logs-") ? .logs : .metrics
    }

    static func context(for fixture: WireFixture) throws -> OTLPRequestContext {
        let key = try #require(fixture.header("x-honeycomb-team"))
        return OTLPRequestContext(
            keyID: APIKeyID.of(key), keyKind: APIKeyKind(key: key),
            datasetHeader: fixture.header("x-honeycomb-dataset"), receiveTimeNanos: receiveTime)
    }

    static func flatten(_ result: OTLPDecodeResult) throws -> [FlatEvent] {
        var events: [FlatEvent] = []
        for batch in result.batches {
            for record in batch.events {
                let bytes = Array(batch.body[record.dataRange])
                events.append(FlatEvent(
                    dataset: batch.dataset, time: record.timeUnixNanos, sampleRate: record.sampleRate,
                    data: try TestJSON.parse(bytes), dataBytes: bytes))
            }
        }
        return events
    }

    static func expectedEvents(_ name: String) throws -> [FlatEvent] {
        let text = String(decoding: try WireFixture.load("otlp/\(name).expected.jsonl"), as: UTF8.self)
        return try text.split(separator: "\n").map { line in
            let entry = try TestJSON.parse(Array(line.utf8))
            guard case .string(let dataset)? = entry["dataset"], case .string(let time)? = entry["time"],
                  case .number(let rate)? = entry["samplerate"], let data = entry["data"],
                  let nanos = ReferenceTime.unixNanos(time), let sampleRate = Int(rate)
            else { throw WireFixture.FixtureError.missingDecoded(name) }
            return FlatEvent(dataset: dataset, time: nanos, sampleRate: sampleRate, data: data, dataBytes: [])
        }
    }

    static func decode(_ name: String) throws -> OTLPDecodeResult {
        let fixture = try WireFixture("otlp/" + name)
        let encoding = try #require(OTLPEncoding(contentType: fixture.header("Content-Type")))
        let contentEncoding = try #require(ContentEncoding(headerValue: fixture.header("Content-Encoding")))
        let body = try ContentDecoder.decode(fixture.body, encoding: contentEncoding, maxDecodedBytes: 20 << 20)
        return try OTLPDecoder().decode(body, signal: signal(of: name), encoding: encoding, context: context(for: fixture))
    }

    @Test(arguments: fixtures)
    func fixtureDecodesToTheExpectedFlatEvents(name: String) throws {
        let result = try Self.decode(name)
        let events = try Self.flatten(result)
        let expected = try Self.expectedEvents(name)
        #expect(events.count == expected.count, "\(name): event count")
        for (index, (got, want)) in zip(events, expected).enumerated() {
            #expect(got.dataset == want.dataset, "\(name) #\(index) dataset")
            #expect(got.time == want.time, "\(name) #\(index) time")
            #expect(got.sampleRate == want.sampleRate, "\(name) #\(index) samplerate")
            #expect(got.data == want.data, "\(name) #\(index) data\n got: \(got.data)\nwant: \(want.data)")
            // Every event is a JSON object that an independent parser accepts, with no repeated key.
            #expect((try? JSONSerialization.jsonObject(with: Data(got.dataBytes))) is [String: Any])
            if case .object(let fields) = got.data {
                #expect(Set(fields.map(\.key)).count == fields.count, "\(name) #\(index) repeats a key")
            }
        }
        #expect(result.rejectedItems == 0)
        #expect(result.rejectionMessage == nil)
        #expect(result.batches.allSatisfy { $0.keyID == APIKeyID.of(WireFixtureKey.key) })
    }

    @Test func itemCountsAreSpansLogRecordsAndDataPoints() throws {
        #expect(try Self.decode("otel-py-traces-protobuf").acceptedItems == 5)
        #expect(try Self.decode("otel-py-traces-protobuf").eventCount == 10)
        #expect(try Self.decode("otel-py-logs-protobuf").acceptedItems == 6)
        #expect(try Self.decode("otel-py-metrics-protobuf").acceptedItems == 13)
    }

    /// The capture server's decoding of each protobuf fixture is itself OTLP/JSON (hex ids, enums as
    /// integers, 64-bit integers as strings, bytes as base64): sent as JSON it must give byte-identical
    /// events to the protobuf body.
    @Test(arguments: ["otel-py-traces-protobuf", "otel-py-logs-protobuf", "otel-py-metrics-protobuf"])
    func jsonAndProtobufOfTheSameRequestGiveIdenticalEvents(name: String) throws {
        let fixture = try WireFixture("otlp/" + name)
        let document = try JSONSerialization.jsonObject(with: Data(try WireFixture.load("otlp/\(name).decoded.json")))
        let decoded = try #require((document as? [String: Any])?["decoded"])
        let json = Array(try JSONSerialization.data(withJSONObject: decoded))
        let decoder = OTLPDecoder()
        let context = try Self.context(for: fixture)
        let fromProtobuf = try decoder.decode(fixture.body, signal: Self.signal(of: name), encoding: .protobuf, context: context)
        let fromJSON = try decoder.decode(json, signal: Self.signal(of: name), encoding: .json, context: context)
        let protobufEvents = try Self.flatten(fromProtobuf)
        let jsonEvents = try Self.flatten(fromJSON)
        #expect(protobufEvents.count == jsonEvents.count)
        for (left, right) in zip(protobufEvents, jsonEvents) {
            #expect(left.dataset == right.dataset)
            #expect(left.time == right.time)
            #expect(left.sampleRate == right.sampleRate)
            #expect(left.dataBytes == right.dataBytes, "\(String(decoding: left.dataBytes, as: UTF8.self))\n\(String(decoding: right.dataBytes, as: UTF8.self))")
        }
        #expect(fromProtobuf.acceptedItems == fromJSON.acceptedItems)
    }

    /// Spot checks of husky's less obvious rules, on the real capture.
    @Test func huskySpecificsOnTheTraceCapture() throws {
        let events = try Self.flatten(try Self.decode("otel-py-traces-protobuf"))
        let server = try #require(events.last)
        #expect(server.data["cart.skus"] == .string("[\"sku-1\",\"sku-2\",\"sku-3\"]\n"))
        #expect(server.data["cart.prices"] == .string("[9.99,20,13.99]\n"))
        #expect(server.data["error"] == .bool(true))
        #expect(server.data["span.kind"] == .string("server"))
        #expect(server.data["trace.parent_id"] == nil)
        // The `exception` event of "charge card" sends exception.escaped as the string "False":
        // husky only promotes a boolean, so the span gets the three strings but no escaped flag.
        let charge = try #require(events.first { $0.data["name"] == .string("charge card") })
        #expect(charge.data["exception.type"] == .string("ValueError"))
        #expect(charge.data["exception.escaped"] == nil)
        // Span events and links come right before their span.
        let names = events.map { event -> String in
            if case .string(let name)? = event.data["name"] { return name }
            return "link"
        }
        #expect(names == ["enqueue checkout job", "cache.miss", "link", "SELECT orders", "validate card", "exception",
                          "charge card", "request.received", "explicit.timestamp.event", "POST /checkout"])
        let explicit = try #require(events.first { $0.data["name"] == .string("explicit.timestamp.event") })
        #expect(explicit.data["meta.invalid_time_since_span_start"] == .bool(true))
        #expect(explicit.time == 1_715_949_296_789_123_456)
    }
}

enum WireFixtureKey {
    static let key = "hcaik_01hzacceptancetestkey0000000000000000000000000000000000000"
}
