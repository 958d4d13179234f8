import Foundation
import KelpieApp
import Pipeline
import Testing
import TestSupport

/// `--sink http` end to end: a relaying Kelpie in front of a second, real Kelpie (its own spool), or in
/// front of a scripted upstream that misbehaves on cue.
@Suite struct RelayWiringTests {
    static let upstreamKey = "relay-upstream-key-0123456789"

    static func relay(to url: String, ack: AckMode, _ configure: (inout AppConfiguration) -> Void = { _ in }) throws -> TestServer {
        try TestServer {
            $0.sink = .http
            $0.ackMode = ack
            $0.upstream.url = url
            $0.upstream.key = upstreamKey
            $0.upstream.linger = .milliseconds(5)
            $0.upstream.timeout = .seconds(5)
            configure(&$0)
        }
    }

    /// The value of the first /metrics sample starting with `series` (name and labels).
    static func metric(_ client: RawHTTPClient, _ series: String) throws -> Double? {
        let text = try client.roundTrip("GET", "/metrics").bodyText
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    static func post(_ client: RawHTTPClient, _ dataset: String, _ json: String) throws -> RawHTTPClient.Response {
        try client.roundTrip("POST", "/1/batch/\(dataset)", headers: [TestServer.authHeader], body: Array(json.utf8))
    }

    struct Seen: Hashable {
        var dataset: String
        var timeNanos: Int64?
        var sampleRate: Int
        var data: String
    }

    static func seen(_ event: [String: Any]) -> Seen {
        Seen(
            dataset: event["dataset"] as? String ?? "?",
            timeNanos: (event["time"] as? String).flatMap { testUnixNanos(rfc3339: $0) },
            sampleRate: event["samplerate"] as? Int ?? -1,
            data: canonicalJSON(event["data"] ?? NSNull())
        )
    }

    @Test(arguments: [AckMode.memory, .delivered, .durable])
    func relayedEventsArriveInTheUpstreamSpoolUnchanged(ack: AckMode) async throws {
        let upstream = try TestServer()
        defer { upstream.dataDirectory.remove() }
        let relay = try Self.relay(to: "http://127.0.0.1:\(upstream.port)", ack: ack)
        defer { relay.dataDirectory.remove() }
        let client = try relay.client()
        var expected: Set<Seen> = []
        for round in 0..<20 {
            let dataset = round % 2 == 0 ? "relay-a" : "relay b"
            let body = #"[{"time":"2024-05-06T07:08:09.\#(100_000_000 + round)Z","samplerate":\#(round + 1),"data":{"round":\#(round),"s":"q\"uote é"}},{"data":{"round":\#(round),"second":true},"time":"2024-05-06T07:08:10Z"}]"#
            let response = try Self.post(client, dataset.replacingOccurrences(of: " ", with: "%20"), body)
            #expect(response.status == 200 && response.bodyText == #"[{"status":202},{"status":202}]"#, "\(response)")
            for event in try JSONSerialization.jsonObject(with: Data(body.utf8)) as! [[String: Any]] {
                var withDataset = event
                withDataset["dataset"] = dataset
                withDataset["samplerate"] = event["samplerate"] ?? 1
                expected.insert(Self.seen(withDataset))
            }
        }
        let deadlineMet = await waitUntil {
            (try? Self.metric(client, #"kelpie_sink_delivered_events_total{sink="http"}"#)) == 40
        }
        #expect(deadlineMet)
        #expect(try Self.metric(client, #"kelpie_upstream_requests_total{class="2xx"}"#) ?? 0 >= 1)
        await relay.app.shutdown()
        let stored = try await upstream.stopAndReadSpool()
        #expect(Set(stored.map(Self.seen)) == expected)
        #expect(stored.count == 40)
        let relaySpool = try readSpoolEvents(dataDirectory: relay.dataDirectory.path)
        #expect(ack == .durable || relaySpool.isEmpty, "no local disk with ack=\(ack.rawValue)")
    }

    @Test(arguments: [429, 503])
    func overloadedUpstreamIsRetriedAfterRetryAfterThenDelivered(status: Int) async throws {
        let upstream = try ScriptedUpstream(mode: .accept)
        defer { upstream.stop() }
        upstream.answerNext(.status(status, retryAfter: "1"))
        let relay = try Self.relay(to: upstream.url, ack: .memory)
        defer { relay.dataDirectory.remove() }
        let client = try relay.client()
        #expect(try Self.post(client, "busy", #"[{"data":{"n":1}},{"data":{"n":2}}]"#).status == 200)
        #expect(await waitUntil { upstream.acceptedItems.count == 2 })
        let received = upstream.received
        #expect(received.map(\.answered) == [status, 200])
        if received.count >= 2 {
            #expect(received[1].at - received[0].at >= .seconds(1), "Retry-After: 1 was honoured")
        }
        #expect(try Self.metric(client, #"kelpie_sink_errors_total{sink="http"}"#) == 1)
        await relay.app.shutdown()
    }

    @Test func refusedKeyKeepsEventsInTheWALAndRecoversWithoutRestart() async throws {
        let upstream = try ScriptedUpstream(mode: .status(401, retryAfter: nil))
        defer { upstream.stop() }
        let keyDirectory = try TemporaryDirectory(prefix: "kelpie-relay-key")
        defer { keyDirectory.remove() }
        try "  file-key-42\n".write(toFile: keyDirectory.file("upstream.key"), atomically: true, encoding: .utf8)
        let relay = try Self.relay(to: upstream.url, ack: .durable) {
            $0.upstream.key = nil
            $0.upstream.keyFile = keyDirectory.file("upstream.key")
        }
        defer { relay.dataDirectory.remove() }
        let client = try relay.client()
        #expect(try Self.post(client, "kept", #"[{"data":{"n":1}},{"data":{"n":2}}]"#).status == 200)
        #expect(await waitUntil {
            guard let ready = try? client.roundTrip("GET", "/readyz") else { return false }
            return ready.status == 503 && ready.bodyText.contains("upstream_unauthorized")
        })
        #expect(try Self.metric(client, "kelpie_sink_reachable") == 0)
        #expect(try Self.metric(client, "kelpie_sink_undelivered_bytes") ?? 0 > 0, "the events wait in the WAL")
        #expect(try readSpoolEvents(dataDirectory: relay.dataDirectory.path).count == 2)
        #expect(upstream.received.allSatisfy { $0.apiKey == "file-key-42" })

        upstream.setMode(.accept)
        #expect(await waitUntil { upstream.acceptedItems.count == 2 })
        #expect(await waitUntil { (try? client.roundTrip("GET", "/readyz"))?.status == 200 })
        #expect(try Self.metric(client, "kelpie_sink_reachable") == 1)
        await relay.app.shutdown()
    }

    @Test func upstreamDownIsRetriedUntilItComesUp() async throws {
        let probe = try ScriptedUpstream()
        let port = probe.port
        probe.stop()
        let relay = try Self.relay(to: "http://127.0.0.1:\(port)", ack: .durable)
        defer { relay.dataDirectory.remove() }
        let client = try relay.client()
        #expect(try Self.post(client, "later", #"[{"data":{"n":1}}]"#).status == 200)
        let failedBlocks = #"kelpie_sink_errors_total{sink="http"}"#
        #expect(await waitUntil { (try? Self.metric(client, failedBlocks)) ?? 0 >= 2 }, "failed, and tried again")
        #expect(try Self.metric(client, #"kelpie_upstream_requests_total{class="error"}"#) ?? 0 >= 2)
        let upstream = try ScriptedUpstream(port: port)
        defer { upstream.stop() }
        #expect(await waitUntil { upstream.acceptedItems.count == 1 })
        #expect(upstream.acceptedItems.first?.hasPrefix(#"{"data":{"n":1},"samplerate":1,"time":"#) == true)
        #expect(await waitUntil { (try? Self.metric(client, #"kelpie_sink_delivered_events_total{sink="http"}"#)) == 1 })
        await relay.app.shutdown()
    }

    @Test func relayConfigurationIsValidated() {
        var configuration = AppConfiguration()
        configuration.sink = .http
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        configuration.upstream.url = "http://127.0.0.1:1"
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        configuration.upstream.key = "k"
        #expect(throws: Never.self) { try configuration.validate() }
        configuration.upstream.keyFile = "/nonexistent"
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        configuration.upstream.keyFile = nil
        configuration.upstream.batchBytes = 5_000_001
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
    }
}
