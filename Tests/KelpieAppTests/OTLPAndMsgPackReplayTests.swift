import Foundation
import Testing
import TestSupport

/// The msgpack and OTLP captures replayed over a real socket: Honeycomb's answers, and the spool holds the
/// expected flat events (OTLP: the independently derived expectations in IngestTests' fixtures).
@Suite struct OTLPAndMsgPackReplayTests {
    /// msgpack's extension values as the capture shows them, turned into what Kelpie stores.
    static func storedForm(_ value: Any) -> Any {
        if let object = value as? [String: Any] {
            if let timestamp = object["$msgpack_timestamp"] as? String { return timestamp }
            if let bytes = object["$bytes_b64"] as? String { return bytes }
            return object.mapValues(storedForm)
        }
        if let array = value as? [Any] { return array.map(storedForm) }
        return value
    }

    @Test func libhoneyGoMsgPackBatchAnswersInMsgPackAndStoresTheEvents() async throws {
        let fixture = try WireFixture(name: "libhoney-go-batch-msgpack-zstd", directory: TestServer.fixtures)
        let server = try TestServer()
        defer { server.dataDirectory.remove() }
        let client = try server.client()
        try client.send(fixture.requestBytes)
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "application/msgpack")
        // fixarray(5) of fixmap(1) {"status": uint8 202}, as libhoney-go and Refinery decode it.
        let entry: [UInt8] = [0x81, 0xA6] + Array("status".utf8) + [0xCC, 0xCA]
        #expect(response.body == [0x95] + Array([[UInt8]](repeating: entry, count: 5).joined()))

        let sent = fixture.decoded as! [[String: Any]]
        let stored = try await server.stopAndReadSpool()
        try #require(stored.count == sent.count)
        for (event, original) in zip(stored, sent) {
            #expect(canonicalJSON(event["data"]!) == canonicalJSON(Self.storedForm(original["data"]!)))
            #expect(event["time"] as? String == Self.storedForm(original["time"]!) as? String)
            #expect(event["samplerate"] as? Int == (original["samplerate"] as? Int ?? 1))
        }
    }

    static let otlpFixtures = [
        "otel-py-traces-protobuf", "otel-py-traces-protobuf-gzip", "otel-py-traces-json-synthetic",
        "otel-py-logs-protobuf", "otel-py-logs-json-synthetic", "otel-py-metrics-protobuf", "otel-py-metrics-json-synthetic",
    ]

    /// The expected flat events live with the Ingest tests (derived there from the captures, not from Kelpie).
    static var otlpDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("IngestTests/Fixtures/otlp")
    }

    @Test(arguments: otlpFixtures)
    func otlpFixtureIsAnsweredAndStoredAsHoneycombMapsIt(name: String) async throws {
        let fixture = try WireFixture(name: name, directory: Self.otlpDirectory)
        let expectedText = try String(contentsOf: Self.otlpDirectory.appendingPathComponent("\(name).expected.jsonl"), encoding: .utf8)
        let expected = expectedText.split(separator: "\n").map {
            try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
        let server = try TestServer()
        defer { server.dataDirectory.remove() }
        let client = try server.client()
        try client.send(fixture.requestBytes)
        let response = try client.readResponse()
        #expect(response.status == 200)
        let json = name.contains("json")
        #expect(response.header("Content-Type") == (json ? "application/json" : "application/x-protobuf"))
        // A full success is an empty Export…ServiceResponse: no bytes in protobuf, {} in JSON.
        #expect(response.bodyText == (json ? "{}" : ""))

        let stored = try await server.stopAndReadSpool()
        #expect(stored.count == expected.count)
        for (event, want) in zip(stored, expected) {
            #expect(event["dataset"] as? String == want["dataset"] as? String)
            // The expectations spell nine fraction digits; Kelpie trims trailing zeros (Go's RFC3339Nano).
            #expect(testUnixNanos(rfc3339: event["time"] as! String) == testUnixNanos(rfc3339: want["time"] as! String))
            #expect(event["samplerate"] as? Int == want["samplerate"] as? Int)
            #expect(canonicalJSON(event["data"]!) == canonicalJSON(want["data"]!))
        }
    }

    @Test func otlpErrorsComeInTheRequestsEncoding() async throws {
        let server = try TestServer()
        defer { server.dataDirectory.remove() }
        let key = ("x-honeycomb-team", TestServer.key)
        // Unsupported content type: 415 with husky's text.
        let unsupported = try server.client().roundTrip("POST", "/v1/traces", headers: [key, ("Content-Type", "text/plain")], body: [1])
        #expect(unsupported.status == 415)
        #expect(unsupported.bodyText.hasPrefix("unsupported content-type, valid types are:"))
        // Unparseable JSON body: 400 google.rpc.Status in JSON.
        let bad = try server.client().roundTrip("POST", "/v1/logs", headers: [key, ("Content-Type", "application/json")], body: Array("{".utf8))
        #expect(bad.status == 400)
        let status = try JSONSerialization.jsonObject(with: Data(bad.body)) as? [String: Any]
        #expect(status?["message"] as? String == "failed to parse OTLP request body")
        // Missing key: 401 in protobuf (google.rpc.Status: field 2 = message).
        let missing = try server.client().roundTrip("POST", "/v1/metrics", headers: [("Content-Type", "application/x-protobuf")], body: [])
        #expect(missing.status == 401)
        #expect(missing.header("Content-Type") == "application/x-protobuf")
        #expect(missing.bodyText.contains("missing 'x-honeycomb-team' header"))
        // A classic key without x-honeycomb-dataset on traces: 401, as husky answers.
        let classic = try server.client().roundTrip(
            "POST", "/v1/traces", headers: [("x-honeycomb-team", "0123456789abcdef0123456789abcdef"), ("Content-Type", "application/json")],
            body: Array(#"{"resourceSpans":[]}"#.utf8)
        )
        #expect(classic.status == 401)
        #expect(classic.bodyText.contains("missing 'x-honeycomb-dataset' header"))
        #expect(try await server.stopAndReadSpool().isEmpty)
    }
}
