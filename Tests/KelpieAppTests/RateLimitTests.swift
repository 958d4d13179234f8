import Foundation
import Ingest
import Testing
import TestSupport
@testable import KelpieApp

/// Per-key rate limits through the whole server, on a manual clock: the burst is accepted, the excess gets
/// 429 with Retry-After in each protocol's own shape, the bucket refills at the configured rate, other keys
/// are unaffected, and a reloaded key file changes the limit.
@Suite struct RateLimitTests {
    static let otherKey = "hcaik_01hzratelimitotherkey0000000000000000000000000000000000000"
    static let rateLimitedBody = #"{"error":"request dropped due to rate limiting"}"#

    static func batch(_ events: Int, tag: String = "e") -> [UInt8] {
        Array(("[" + (0..<events).map { #"{"data":{"tag":"\#(tag)","n":\#($0)}}"# }.joined(separator: ",") + "]").utf8)
    }

    static func post(_ server: TestServer, key: String = TestServer.key, events: Int, tag: String = "e") throws -> RawHTTPClient.Response {
        try server.client().roundTrip(
            "POST", "/1/batch/limits", headers: [("X-Honeycomb-Team", key)], body: batch(events, tag: tag)
        )
    }

    static func keyID(_ key: String) -> String { APIKeyID.of(APIKeyDigest(key: key)) }

    static func metric(_ server: TestServer, _ line: String) -> Bool {
        server.app.metrics.registry.emitToString().split(separator: "\n").contains { $0 == line }
    }

    @Test func burstThenRefusalsThenRefillAtTheConfiguredRateAndOtherKeysUnaffected() async throws {
        let clock = ManualClock()
        let server = try TestServer(rateLimitClock: clock.read) {
            $0.rateLimitEvents = 10
            $0.rateLimitBurst = 20
        }
        defer { server.dataDirectory.remove() }

        let burst = try Self.post(server, events: 20, tag: "burst")
        #expect(burst.status == 200)
        #expect(burst.bodyText == "[" + Array(repeating: #"{"status":202}"#, count: 20).joined(separator: ",") + "]")

        // Empty bucket: one event needs 0.1 s, fifteen need 1.5 s; Retry-After is whole seconds, rounded up.
        let one = try Self.post(server, events: 1, tag: "refused")
        #expect(one.status == 429)
        #expect(one.header("Retry-After") == "1")
        #expect(one.header("Content-Type") == "application/json")
        #expect(one.header("Access-Control-Allow-Origin") == "*")
        #expect(one.bodyText == Self.rateLimitedBody)
        let fifteen = try Self.post(server, events: 15, tag: "refused")
        #expect(fifteen.status == 429)
        #expect(fifteen.header("Retry-After") == "2")
        #expect(fifteen.bodyText == Self.rateLimitedBody)
        let single = try server.client().roundTrip(
            "POST", "/1/events/limits", headers: [TestServer.authHeader], body: Array(#"{"tag":"refused"}"#.utf8)
        )
        #expect(single.status == 429)
        #expect(single.bodyText == Self.rateLimitedBody)

        // Another key (open mode: the default limit per key id) has its own full bucket.
        #expect(try Self.post(server, key: Self.otherKey, events: 20, tag: "other").status == 200)

        // 1.5 s at 10 events/s: exactly fifteen.
        clock.advance(by: .milliseconds(1500))
        #expect(try Self.post(server, events: 15, tag: "refilled").status == 200)
        let empty = try Self.post(server, events: 1, tag: "refused")
        #expect(empty.status == 429)
        #expect(empty.header("Retry-After") == "1")
        // Idle for long: full again, but no more than the burst.
        clock.advance(by: .seconds(60))
        #expect(try Self.post(server, events: 20, tag: "refilled").status == 200)
        #expect(try Self.post(server, events: 1, tag: "refused").status == 429)

        let id = Self.keyID(TestServer.key)
        #expect(Self.metric(server, #"kelpie_rate_limited_requests_total{key_id="\#(id)"} 5"#))
        #expect(Self.metric(server, #"kelpie_rate_limited_events_total{key_id="\#(id)"} 19"#))
        #expect(Self.metric(server, #"kelpie_ingest_refusals_total{reason="rate_limited"} 5"#))
        #expect(!server.app.metrics.registry.emitToString().contains(Self.keyID(Self.otherKey)))

        let stored = try await server.stopAndReadSpool()
        let tags = stored.compactMap { ($0["data"] as? [String: Any])?["tag"] as? String }
        #expect(tags.filter { $0 == "burst" }.count == 20)
        #expect(tags.filter { $0 == "other" }.count == 20)
        #expect(tags.filter { $0 == "refilled" }.count == 35)
        #expect(!tags.contains("refused"))
    }

    @Test func withoutALimitNothingIsRefused() async throws {
        let server = try TestServer()
        defer { server.dataDirectory.remove() }
        for _ in 0..<5 { #expect(try Self.post(server, events: 500).status == 200) }
        #expect(Self.metric(server, #"kelpie_ingest_refusals_total{reason="rate_limited"} 0"#))
        #expect(Self.metric(server, #"kelpie_rate_limited_requests_total{key_id="_other"} 0"#))
        await server.stop()
    }

    // MARK: OTLP

    static func spans(_ count: Int) -> [UInt8] {
        let spans = (0..<count).map { index in
            OTLPTestProto.span(spanID: withUnsafeBytes(of: UInt64(index + 1).bigEndian, Array.init), name: "span \(index)")
        }
        return OTLPTestProto.traceRequest([(attributes: [("service.name", .string("limited"))], spans: spans)])
    }

    static let jsonSpan = #"""
        {"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"limited"}}]},
         "scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","name":"s",
         "startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000100000000"}]}]}]}
        """#

    @Test func otlpHTTPAnswers429WithAGoogleRPCStatusInTheRequestsEncoding() async throws {
        let clock = ManualClock()
        let server = try TestServer(rateLimitClock: clock.read) {
            $0.rateLimitEvents = 1
            $0.rateLimitBurst = 2
        }
        defer { server.dataDirectory.remove() }
        let protobuf = [TestServer.authHeader, ("Content-Type", "application/x-protobuf")]
        #expect(try server.client().roundTrip("POST", "/v1/traces", headers: protobuf, body: Self.spans(2)).status == 200)

        let refused = try server.client().roundTrip("POST", "/v1/traces", headers: protobuf, body: Self.spans(2))
        #expect(refused.status == 429)
        #expect(refused.header("Retry-After") == "2")
        #expect(refused.header("Content-Type") == "application/x-protobuf")
        let status = try ProtoMessage(refused.body)
        #expect(status.varint(1) == 8)  // RESOURCE_EXHAUSTED
        #expect(status.string(2) == IngestAdmission.rateLimitedMessage)

        let json = try server.client().roundTrip(
            "POST", "/v1/traces", headers: [TestServer.authHeader, ("Content-Type", "application/json")],
            body: Array(Self.jsonSpan.utf8)
        )
        #expect(json.status == 429)
        #expect(json.header("Retry-After") == "1")
        #expect(json.header("Content-Type") == "application/json")
        let object = try JSONSerialization.jsonObject(with: Data(json.body)) as? [String: Any]
        #expect(object?["code"] as? Int == 8)
        #expect(object?["message"] as? String == "request dropped due to rate limiting")

        clock.advance(by: .seconds(1))
        #expect(try server.client().roundTrip(
            "POST", "/v1/traces", headers: [TestServer.authHeader, ("Content-Type", "application/json")],
            body: Array(Self.jsonSpan.utf8)
        ).status == 200)
        #expect(try await server.stopAndReadSpool().count == 3)
    }

    @Test func otlpGRPCAnswersResourceExhaustedWithRetryInfo() async throws {
        let clock = ManualClock()
        let server = try TestServer(rateLimitClock: clock.read) {
            $0.rateLimitEvents = 2
            $0.rateLimitBurst = 3
        }
        defer { server.dataDirectory.remove() }
        let socket = try server.client()
        let client = HTTP2TestClient()
        let first = client.request(path: GRPCTests.traceExport, headers: GRPCTests.grpcHeaders(), body: GRPCTests.framed(Self.spans(3)))
        try client.exchange(over: socket) { client.streams[first]?.closedWith != nil }
        #expect(GRPCTests.grpcStatus(client.streams[first]) == "0")

        // Three events at 2/s: 1.5 s → RetryInfo of 2 s.
        let second = client.request(path: GRPCTests.traceExport, headers: GRPCTests.grpcHeaders(), body: GRPCTests.framed(Self.spans(3)))
        try client.exchange(over: socket) { client.streams[second]?.closedWith != nil }
        let record = try #require(client.streams[second])
        #expect(record.status == "200")
        #expect(GRPCTests.grpcStatus(record) == "8")
        let fields = record.headers + record.trailers
        #expect(fields.first { $0.0 == "grpc-message" }?.1 == "request dropped due to rate limiting")
        let details = try #require(fields.first { $0.0 == "grpc-status-details-bin" }?.1)
        let status = try ProtoMessage(try #require(Self.base64(details)))
        #expect(status.varint(1) == 8)
        let any = try ProtoMessage(try #require(status.bytes(3)))
        #expect(any.string(1) == "type.googleapis.com/google.rpc.RetryInfo")
        let retryInfo = try ProtoMessage(try #require(any.bytes(2)))
        let delay = try ProtoMessage(try #require(retryInfo.bytes(1)))
        #expect(delay.varint(1) == 2)

        clock.advance(by: .milliseconds(1500))
        let third = client.request(path: GRPCTests.traceExport, headers: GRPCTests.grpcHeaders(), body: GRPCTests.framed(Self.spans(3)))
        try client.exchange(over: socket) { client.streams[third]?.closedWith != nil }
        #expect(GRPCTests.grpcStatus(client.streams[third]) == "0")
        #expect(Self.metric(server, #"kelpie_rate_limited_events_total{key_id="\#(Self.keyID(TestServer.key))"} 3"#))
        #expect(try await server.stopAndReadSpool().count == 6)
    }

    /// gRPC's unpadded base64.
    static func base64(_ text: String) -> [UInt8]? {
        let padded = text + String(repeating: "=", count: (4 - text.count % 4) % 4)
        return Data(base64Encoded: padded).map(Array.init)
    }

    // MARK: key file

    static let limitedKey = "hcaik_01hzratelimitlimitedkey000000000000000000000000000000000000"
    static let unlimitedKey = "hcaik_01hzratelimitunlimitedkey0000000000000000000000000000000000"
    static let defaultKey = "hcaik_01hzratelimitdefaultkey000000000000000000000000000000000000"

    static func keyFile(limited: String) -> String {
        """
        keys:
          - key: \(limitedKey)
            id: limited
            rate_limit: \(limited)
          - key: \(unlimitedKey)
            id: unlimited
            rate_limit: off
          - key: \(defaultKey)
            id: default
        """
    }

    @Test func keyFileLimitsWinOverTheDefaultAndAReloadChangesThem() async throws {
        let directory = try TemporaryDirectory(prefix: "kelpie-rate-keys")
        defer { directory.remove() }
        let path = directory.file("keys.yaml")
        try Self.keyFile(limited: "{events_per_second: 1, burst: 5}").write(toFile: path, atomically: true, encoding: .utf8)
        let clock = ManualClock()
        let server = try TestServer(rateLimitClock: clock.read) {
            $0.keysPath = path
            $0.keyReloadInterval = .milliseconds(50)
            $0.rateLimitEvents = 2
        }
        defer { server.dataDirectory.remove() }

        #expect(try Self.post(server, key: Self.limitedKey, events: 5).status == 200)
        let limited = try Self.post(server, key: Self.limitedKey, events: 1)
        #expect(limited.status == 429)
        #expect(limited.header("Retry-After") == "1")
        // `off` ignores the default; a key without rate_limit gets it (2/s, burst 2).
        for _ in 0..<3 { #expect(try Self.post(server, key: Self.unlimitedKey, events: 100).status == 200) }
        #expect(try Self.post(server, key: Self.defaultKey, events: 2).status == 200)
        #expect(try Self.post(server, key: Self.defaultKey, events: 1).status == 429)

        // The poller picks the new limit up: 1000 events/s, burst 100.
        try Self.keyFile(limited: "{events_per_second: 1000, burst: 100}").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(await waitUntil { Self.metric(server, "kelpie_keys_reloads_total 1") })
        // 10 ms at 1000/s is ten events (at the old 1/s it would be a hundredth of one).
        clock.advance(by: .milliseconds(10))
        #expect(try Self.post(server, key: Self.limitedKey, events: 10).status == 200)
        #expect(try Self.post(server, key: Self.limitedKey, events: 1).status == 429)
        // A second refills it to the new burst: 60 then 40 (the old burst of 5 would have been in debt).
        clock.advance(by: .seconds(1))
        #expect(try Self.post(server, key: Self.limitedKey, events: 60).status == 200)
        #expect(try Self.post(server, key: Self.limitedKey, events: 40).status == 200)
        #expect(try Self.post(server, key: Self.limitedKey, events: 1).status == 429)
        #expect(Self.metric(server, #"kelpie_rate_limited_requests_total{key_id="\#(Self.keyID(Self.limitedKey))"} 3"#))
        await server.stop()
    }

    @Test func keyFileRateLimitsAreCheckedAtLoad() throws {
        func parse(_ rateLimit: String) throws(APIKeyFile.LoadError) -> APIKeyEntry.RateLimitChoice {
            try APIKeyFile.parse(Array("keys:\n  - key: k\n    rate_limit: \(rateLimit)\n".utf8))[0].rateLimit
        }
        #expect(try parse("{events_per_second: 50, burst: 200}") == .limited(RateLimit(eventsPerSecond: 50, burst: 200)!))
        #expect(try parse("{events_per_second: 50}") == .limited(RateLimit(eventsPerSecond: 50, burst: 50)!))
        #expect(try parse("off") == .unlimited)
        #expect(try APIKeyFile.parse(Array(#"{"keys":[{"key":"k","rate_limit":{"events_per_second":3}}]}"#.utf8))[0].rateLimit
            == .limited(RateLimit(eventsPerSecond: 3)!))
        #expect(try APIKeyFile.parse(Array("keys:\n  - key: k\n".utf8))[0].rateLimit == .serverDefault)
        for bad in ["{burst: 5}", "{events_per_second: 0}", "{events_per_second: \"5\"}", "{events_per_second: 2.5}",
                    "{events_per_second: 5, per_minute: 1}", "5", "[5]", "on"] {
            #expect(throws: APIKeyFile.LoadError.self, "\(bad)") { try parse(bad) }
        }
    }

    @Test func theDefaultLimitIsValidatedWithTheFlagsNamed() {
        var configuration = AppConfiguration()
        configuration.rateLimitBurst = 10
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        do { try configuration.validate() } catch { #expect(error.setting == "rate-limit-burst") }
        configuration.rateLimitEvents = 0
        do { try configuration.validate() } catch { #expect(error.setting == "rate-limit-events") }
        configuration.rateLimitEvents = 5
        #expect(configuration.defaultRateLimit == RateLimit(eventsPerSecond: 5, burst: 10))
        configuration.rateLimitBurst = nil
        #expect(configuration.defaultRateLimit == RateLimit(eventsPerSecond: 5, burst: 5))
    }
}
