import Foundation
import Testing
import TestSupport

/// The captured requests of real Honeycomb clients, replayed byte for byte over a real socket: the answers
/// are what Honeycomb answers, and the spool holds exactly the captured events.
@Suite struct FixtureReplayTests {
    static let batchFixtures = [
        "libhoney-py-batch", "libhoney-py-batch-nogzip", "libhoney-go-batch-json-zstd",
        "libhoney-go-batch-json-nocompress", "libhoney-go-batch-dataset-escaped",
    ]

    @Test(arguments: batchFixtures)
    func batchFixtureIsStoredAsSent(name: String) async throws {
        let fixture = try WireFixture(name: name, directory: TestServer.fixtures)
        let server = try TestServer()
        defer { server.dataDirectory.remove() }
        let client = try server.client()
        try client.send(fixture.requestBytes)
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "application/json")
        let expected = fixture.decoded as! [[String: Any]]
        let statuses = try JSONSerialization.jsonObject(with: Data(response.body)) as! [[String: Any]]
        #expect(statuses.count == expected.count)
        #expect(statuses.allSatisfy { ($0["status"] as? Int) == 202 && $0["error"] == nil })

        let stored = try await server.stopAndReadSpool()
        #expect(stored.count == expected.count)
        let dataset = name.hasSuffix("dataset-escaped") ? "my data/set ✓" : String(fixture.path.split(separator: "/").last!)
        for (event, sent) in zip(stored, expected) {
            #expect(event["dataset"] as? String == dataset)
            #expect(canonicalJSON(event["data"]!) == canonicalJSON(sent["data"]!))
            #expect(event["samplerate"] as? Int == (sent["samplerate"] as? Int ?? 1))
            let storedTime = try #require(event["time"] as? String)
            #expect(storedTime.hasSuffix("Z"))
            #expect(testUnixNanos(rfc3339: storedTime) == testUnixNanos(rfc3339: sent["time"] as! String))
            #expect((event["key_id"] as? String)?.count == 16)
        }
    }

    @Test func largeIntegersKeepEveryDigit() async throws {
        // JSONSerialization would hide a float conversion (2^53 + 1 rounds to 2^53): check the raw text.
        let fixture = try WireFixture(name: "libhoney-go-batch-json-nocompress", directory: TestServer.fixtures)
        let server = try TestServer()
        defer { server.dataDirectory.remove() }
        let response = try server.client().roundTrip("POST", fixture.path, headers: fixture.headers.filter { $0.0 != "Content-Length" && $0.0 != "Host" }, body: fixture.body)
        #expect(response.status == 200)
        await server.app.shutdown()
        let raw = try FileManager.default.contentsOfDirectory(atPath: server.dataDirectory.path)
            .filter { $0.hasSuffix(".jsonl") }
            .map { try String(contentsOfFile: "\(server.dataDirectory.path)/\($0)", encoding: .utf8) }
            .joined()
        #expect(raw.contains("9007199254740993"))
    }

    @Test func singleEventUsesHeaderTimeAndSampleRate() async throws {
        let fixture = try WireFixture(name: "honeycomb-events-single-synthetic", directory: TestServer.fixtures)
        let server = try TestServer()
        defer { server.dataDirectory.remove() }
        let client = try server.client()
        try client.send(fixture.requestBytes)
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.body.isEmpty)
        let stored = try await server.stopAndReadSpool()
        try #require(stored.count == 1)
        #expect(stored[0]["dataset"] as? String == "acceptance-single")
        #expect(stored[0]["samplerate"] as? Int == 4)
        #expect(stored[0]["time"] as? String == "2024-05-17T12:34:56.789Z")
        #expect(canonicalJSON(stored[0]["data"]!) == canonicalJSON(fixture.decoded!))
    }

    @Test func unescapedSlashInDatasetIsNotFound() async throws {
        // libhoney-py does not escape the dataset, so "my data/set ✓" arrives as two path segments;
        // the capture server, like Honeycomb's router, answered 404. Nothing may be stored.
        let fixture = try WireFixture(name: "libhoney-py-batch-dataset-unescaped", directory: TestServer.fixtures)
        let server = try TestServer()
        defer { server.dataDirectory.remove() }
        let client = try server.client()
        try client.send(fixture.requestBytes)
        let response = try client.readResponse()
        #expect(response.status == 404)
        #expect(try await server.stopAndReadSpool().isEmpty)
    }
}
