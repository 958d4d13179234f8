import Foundation
import KelpieApp
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// `--self-telemetry-url` in-process: a Kelpie describing its requests to a second, real Kelpie (its
/// spool is the oracle), and a Kelpie that is its own upstream.
@Suite struct SelfTelemetryWiringTests {
    static let telemetryKey = "self-telemetry-key-0123456789"

    static func requestEvents(_ events: [[String: Any]], userAgent: String) -> [[String: Any]] {
        events.compactMap { $0["data"] as? [String: Any] }
            .filter { $0["kind"] as? String == "request" && $0["user_agent"] as? String == userAgent }
    }

    @Test func requestsAreDescribedWithTheirIngestFactsAndRefusalsAlwaysKept() async throws {
        let upstream = try TestServer()
        defer { upstream.dataDirectory.remove() }
        let server = try TestServer {
            $0.selfTelemetry.url = "http://127.0.0.1:\(upstream.port)"
            $0.selfTelemetry.key = Self.telemetryKey
            $0.selfTelemetry.dataset = "kelpie-selftest"
            $0.selfTelemetry.sampleRate = 1_000
            $0.selfTelemetry.pod = "kelpie-7d9f"
            $0.selfTelemetry.namespace = "kelpie-test"
            $0.selfTelemetry.node = "node-1"
            $0.selfTelemetry.isKubernetes = true
        }
        defer { server.dataDirectory.remove() }
        let client = try server.client()
        let agent = ("User-Agent", "wiring-test/1")
        let body = Array(#"[{"data":{"a":1}},{"data":"not an object"},{"data":{"b":2}}]"#.utf8)
        // The 1st success is kept (1 in 1000, counting from the first); the other two are sampled out.
        for _ in 0..<3 {
            let answer = try client.roundTrip(
                "POST", "/1/batch/orders", headers: [TestServer.authHeader, agent, ("Content-Type", "application/json")], body: body
            )
            #expect(answer.status == 200)
        }
        // Refused (no key): always kept, whatever the sample rate.
        #expect(try client.roundTrip("POST", "/1/batch/orders", headers: [agent], body: body).status == 401)
        // gRPC over h2c, refused for its missing key with HTTP 200 and grpc-status 16: kept for the refusal.
        let socket = try server.client()
        let h2 = HTTP2TestClient()
        let stream = h2.request(
            path: GRPCTests.traceExport, headers: [("content-type", "application/grpc"), ("te", "trailers"), ("user-agent", "wiring-test/1")],
            body: GRPCTests.framed(GRPCTests.spans(1))
        )
        try h2.exchange(over: socket) { h2.streams[stream]?.closedWith != nil }
        #expect(GRPCTests.grpcStatus(h2.streams[stream]) == "16")

        var described: [[String: Any]] = []
        let arrived = await waitUntil(timeout: .seconds(20)) {
            described = Self.requestEvents((try? readSpoolEvents(dataDirectory: upstream.dataDirectory.path)) ?? [], userAgent: "wiring-test/1")
            return described.count >= 3
        }
        #expect(arrived, "described so far: \(described)")
        let stored = try readSpoolEvents(dataDirectory: upstream.dataDirectory.path)
        let accepted = try #require(described.first { $0["status"] as? Int == 200 && $0["route"] as? String == "/1/batch/{dataset}" })
        let expected: [String: Any] = [
            "kind": "request", "route": "/1/batch/{dataset}", "method": "POST", "status": 200, "protocol": "http/1.1",
            "dataset": "orders", "format": "json", "events_accepted": 2, "events_rejected": 1,
            "body_bytes": body.count, "decoded_bytes": body.count, "content_type": "application/json",
            "content_encoding": "identity", "user_agent": "wiring-test/1", "connection": "new",
            "pod": "kelpie-7d9f", "namespace": "kelpie-test", "node": "node-1", "is_kubernetes": true,
        ]
        for (field, value) in expected {
            #expect(canonicalJSON(accepted[field] ?? NSNull()) == canonicalJSON(value), "\(field): \(accepted[field] ?? "absent")")
        }
        for field in ["duration_us", "read_us", "handle_us", "decode_us", "durability_wait_us", "write_us", "lane", "request_bytes"] {
            #expect(accepted[field] is Int, "\(field) is a number")
        }
        let parts = ["read_us", "handle_us", "write_us"].compactMap { accepted[$0] as? Int }.reduce(0, +)
        #expect(parts <= accepted["duration_us"] as? Int ?? 0, "the parts fit in the whole")
        let keyID = try #require(accepted["key_id"] as? String)
        #expect(keyID.count == 16 && keyID.allSatisfy(\.isHexDigit))
        for field in ["version", "instance", "host"] { #expect(accepted[field] is String, "\(field) is set") }
        let line = stored.first { ($0["data"] as? [String: Any])?["user_agent"] as? String == "wiring-test/1" }
        #expect(line?["dataset"] as? String == "kelpie-selftest")
        #expect(line?["samplerate"] as? Int == 1_000, "a sampled success stands for 1000 requests")

        let refused = try #require(described.first { $0["status"] as? Int == 401 })
        #expect(refused["refusal"] as? String == "unauthorized")
        #expect(refused["key_id"] == nil)
        #expect(refused["connection"] as? String == "reused")
        let grpc = try #require(described.first { $0["protocol"] as? String == "grpc" })
        #expect(grpc["refusal"] as? String == "unauthorized")
        #expect(grpc["status"] as? Int == 200)
        #expect(grpc["format"] as? String == "otlp_traces")
        #expect(described.count == 3, "two successes were sampled out: \(described.count)")
        // Neither key ever leaves the process.
        let everything = try readSpoolLines(dataDirectory: upstream.dataDirectory.path).map { String(decoding: $0, as: UTF8.self) }
        #expect(!everything.contains { $0.contains(TestServer.key) || $0.contains(Self.telemetryKey) })

        let metrics = try client.roundTrip("GET", "/metrics").bodyText
        #expect(metrics.contains("kelpie_self_telemetry_sent_events_total "))
        await server.app.shutdown()
        await upstream.app.shutdown()
    }

    /// A free loopback port: bound, read and released (for a server that must know its own address up front).
    static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw CocoaError(.fileWriteUnknown) }
        return UInt16(bigEndian: address.sin_port)
    }

    /// Sent to itself, a Kelpie stores its own events but does not describe the requests that carry them
    /// (each would otherwise be described in the next one, forever).
    @Test func aKelpieThatIsItsOwnUpstreamDoesNotDescribeItsOwnTelemetryRequests() async throws {
        let port = try Self.freePort()
        let server = try TestServer {
            $0.listen = ListenAddress(host: "127.0.0.1", port: port)
            $0.selfTelemetry.url = "http://127.0.0.1:\(port)"
            $0.selfTelemetry.key = Self.telemetryKey
        }
        defer { server.dataDirectory.remove() }
        let client = try server.client()
        // Three rounds, each waiting for its own description: every round trip of the sender back to this
        // server happens between them, so described self-requests would be stored by the last.
        for round in 0..<3 {
            let agent = "loop-test/\(round)"
            #expect(try client.roundTrip("POST", "/1/batch/loop", headers: [TestServer.authHeader, ("User-Agent", agent)], body: Array(#"[{"data":{}}]"#.utf8)).status == 200)
            #expect(await waitUntil(timeout: .seconds(20)) {
                !Self.requestEvents((try? readSpoolEvents(dataDirectory: server.dataDirectory.path)) ?? [], userAgent: agent).isEmpty
            }, "round \(round) described")
        }
        let data = try readSpoolEvents(dataDirectory: server.dataDirectory.path).compactMap { $0["data"] as? [String: Any] }
        #expect(data.contains { $0["kind"] as? String == "process" }, "its own process event is stored")
        let selfDescribed = data.filter { ($0["user_agent"] as? String)?.hasPrefix("kelpie-self-telemetry/") == true }
        #expect(selfDescribed.isEmpty, "described its own telemetry requests: \(selfDescribed)")
        await server.app.shutdown()
    }

    @Test func selfTelemetryNeedsExactlyOneKeyAndARateOfOneOrMore() throws {
        func problem(_ configure: (inout AppConfiguration) -> Void) -> String? {
            var configuration = AppConfiguration()
            configuration.selfTelemetry.url = "http://127.0.0.1:1"
            configure(&configuration)
            do { try configuration.validate(); return nil } catch { return error.setting }
        }
        #expect(problem { _ in } == "self-telemetry-key-file")
        #expect(problem { $0.selfTelemetry.key = "k"; $0.selfTelemetry.keyFile = "/k" } == "self-telemetry-key-file")
        #expect(problem { $0.selfTelemetry.key = "k"; $0.selfTelemetry.sampleRate = 0 } == "self-telemetry-sample-rate")
        #expect(problem { $0.selfTelemetry.key = "k"; $0.selfTelemetry.url = "ftp://x" } == "self-telemetry-url")
        #expect(problem { $0.selfTelemetry.key = "k" } == nil)
    }
}
