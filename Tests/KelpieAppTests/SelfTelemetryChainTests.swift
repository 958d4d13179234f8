import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// The dogfood chain with real processes, as deploy/overlays wires it: prod → dogfood → kibble, each a
/// `kelpie serve` with its own spool. Prod's request events land in dogfood's spool, dogfood's (which
/// describe prod's telemetry requests) in kibble's; a frozen, then killed, dogfood does not slow prod, and
/// what prod could not send is counted in its /metrics. Takes the 5 s of one timed-out telemetry request.
@Suite(.serialized) struct SelfTelemetryChainTests {
    /// The documented request-event fields (docs/dogfood.md) an accepted ingest request has.
    static let requestFields = [
        "kind", "route", "method", "status", "protocol", "dataset", "format", "events_accepted", "events_rejected",
        "request_bytes", "body_bytes", "decoded_bytes", "content_type", "content_encoding", "duration_us", "read_us",
        "handle_us", "decode_us", "durability_wait_us", "write_us", "key_id", "user_agent", "connection", "lane",
        "version", "instance", "host", "is_kubernetes",
    ]
    static let processFields = [
        "kind", "rss_bytes", "cpu_seconds", "open_connections", "queue_bytes", "wal_bytes", "sink", "sink_lag_bytes",
        "requests", "errors", "refusals", "telemetry_dropped", "telemetry_queued", "interval_us", "uptime_s",
        "version", "instance", "host", "is_kubernetes",
    ]
    /// Each request to prod must be answered within this, dogfood up, frozen or gone: below the 5 s a
    /// telemetry request to a frozen dogfood takes to time out, so an ingest path that waited on
    /// self-telemetry would miss it, with room for a loaded test machine (2 s was missed by 0.1 s there).
    static let answerDeadline: Duration = .seconds(4)

    static func data(_ directory: TemporaryDirectory, _ name: String) -> [[String: Any]] {
        ((try? readSpoolEvents(dataDirectory: directory.file(name))) ?? []).compactMap { event in
            guard var data = event["data"] as? [String: Any] else { return nil }
            data["_dataset"] = event["dataset"]
            data["_samplerate"] = event["samplerate"]
            return data
        }
    }

    static func metric(_ port: UInt16, _ series: String) -> Double? {
        guard let text = try? RawHTTPClient(port: port).roundTrip("GET", "/metrics").bodyText else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    /// Sends `count` batches to prod on one keep-alive connection (or, with `until`, as many as it takes for
    /// `until` to hold, checked every 20 requests); returns the slowest answer and how many were sent.
    static func load(
        _ port: UInt16, count: Int, agent: String, until: (() -> Bool)? = nil
    ) throws -> (slowest: Duration, sent: Int) {
        let client = try RawHTTPClient(port: port, timeoutSeconds: 10)
        var slowest: Duration = .zero
        var index = 0
        let deadline = ContinuousClock.now + .seconds(30)
        while until == nil ? index < count : !(index % 20 == 0 && until!()) && ContinuousClock.now < deadline {
            defer { index += 1 }
            let body = Array(#"[{"data":{"n":\#(index),"s":"chain"}},{"data":{"n":\#(index),"t":true}}]"#.utf8)
            let started = ContinuousClock.now
            let answer = try client.roundTrip(
                "POST", "/1/batch/customer-events",
                headers: [("X-Honeycomb-Team", "customer-key-1"), ("User-Agent", agent), ("Content-Type", "application/json")],
                body: body
            )
            slowest = max(slowest, ContinuousClock.now - started)
            #expect(answer.status == 200, "request \(index) of \(agent): \(answer.status)")
        }
        return (slowest, index)
    }

    @Test func prodDogfoodKibble() async throws {
        let directory = try TemporaryDirectory(prefix: "kelpie-chain")
        defer { directory.remove() }
        for name in ["prod", "dogfood", "kibble"] {
            try FileManager.default.createDirectory(atPath: directory.file(name), withIntermediateDirectories: true)
        }
        try "prod-to-dogfood-key\n".write(toFile: directory.file("prod.key"), atomically: true, encoding: .utf8)
        try "dogfood-to-kibble-key\n".write(toFile: directory.file("dogfood.key"), atomically: true, encoding: .utf8)
        let common = ["--drain-delay", "0s", "--lanes", "2"]
        let kibble = try ServerProcess(
            arguments: common + ["--data-dir", directory.file("kibble")], logPath: directory.file("kibble.log")
        )
        let dogfood = try ServerProcess(
            arguments: common + [
                "--data-dir", directory.file("dogfood"),
                "--self-telemetry-url", "http://127.0.0.1:\(kibble.port)",
                "--self-telemetry-key-file", directory.file("dogfood.key"),
            ],
            logPath: directory.file("dogfood.log")
        )
        let prod = try ServerProcess(
            arguments: common + [
                "--data-dir", directory.file("prod"),
                "--self-telemetry-url", "http://127.0.0.1:\(dogfood.port)",
                "--self-telemetry-key-file", directory.file("prod.key"),
                "--self-telemetry-dataset", "kelpie-prod",
            ],
            logPath: directory.file("prod.log")
        )

        // 1. Load to prod: dogfood's spool holds one request event per request, with the documented fields.
        let slowestUp = try Self.load(prod.port, count: 40, agent: "chain-load/up").slowest
        var described: [[String: Any]] = []
        let arrived = await waitUntil(timeout: .seconds(30)) {
            described = Self.data(directory, "dogfood").filter { $0["user_agent"] as? String == "chain-load/up" }
            return described.count == 40
        }
        #expect(arrived, "dogfood holds \(described.count) of prod's 40 request events; prod log: \(prod.log)")
        for event in described.prefix(1) {
            let missing = Self.requestFields.filter { event[$0] == nil }
            #expect(missing.isEmpty, "missing \(missing) in \(event)")
            #expect(event["_dataset"] as? String == "kelpie-prod")
            #expect(event["_samplerate"] as? Int == 1)
            #expect(event["route"] as? String == "/1/batch/{dataset}")
            #expect(event["dataset"] as? String == "customer-events")
            #expect(event["events_accepted"] as? Int == 2)
        }
        #expect(described.filter { $0["connection"] as? String == "new" }.count == 1, "one connection, reused 39 times")
        let prodProcess = Self.data(directory, "dogfood").first { $0["kind"] as? String == "process" }
        let missingProcess = Self.processFields.filter { prodProcess?[$0] == nil }
        #expect(prodProcess != nil && missingProcess.isEmpty, "prod's process event, missing \(missingProcess)")

        // 2. Kibble's spool holds dogfood's request events: they describe prod's telemetry requests.
        var dogfoodDescribed: [[String: Any]] = []
        let chained = await waitUntil(timeout: .seconds(30)) {
            dogfoodDescribed = Self.data(directory, "kibble").filter {
                $0["kind"] as? String == "request" && $0["dataset"] as? String == "kelpie-prod"
            }
            return !dogfoodDescribed.isEmpty
        }
        #expect(chained, "kibble holds no event describing prod's telemetry requests; dogfood log: \(dogfood.log)")
        if let event = dogfoodDescribed.first {
            #expect(event["_dataset"] as? String == "kelpie")
            #expect((event["user_agent"] as? String)?.hasPrefix("kelpie-self-telemetry/") == true)
            #expect(event["status"] as? Int == 200)
            #expect(event["instance"] as? String != prodProcess?["instance"] as? String, "described by dogfood, not prod")
        }

        // Dogfood stores before it answers: wait for prod to hear the answers (40 request events and its
        // process event), so none of them is in flight below.
        let sent = "kelpie_self_telemetry_sent_events_total"
        #expect(await waitUntil(timeout: .seconds(30)) { Self.metric(prod.port, sent) ?? 0 >= 41 }, "prod's sent events")
        let sentBefore = Self.metric(prod.port, sent) ?? 0

        // 3. Dogfood frozen (the kernel still accepts connections, nothing answers): prod keeps answering
        // within the deadline until its telemetry requests time out (5 s) and their events are counted.
        let dropped = #"kelpie_self_telemetry_dropped_events_total{reason="send_failed"}"#
        dogfood.signal(SIGSTOP)
        let frozen = try Self.load(prod.port, count: 0, agent: "chain-load/frozen") { Self.metric(prod.port, dropped) ?? 0 > 0 }
        #expect(Self.metric(prod.port, dropped) ?? 0 > 0, "prod's telemetry requests to a frozen dogfood timed out and were counted")
        // Then killed: the same, with connections refused.
        dogfood.signal(SIGKILL)
        _ = dogfood.waitForExit(timeoutSeconds: 10)
        let gone = try Self.load(prod.port, count: 40, agent: "chain-load/gone")
        for (phase, slowest) in [("up", slowestUp), ("frozen", frozen.slowest), ("gone", gone.slowest)] {
            #expect(slowest < Self.answerDeadline, "slowest answer with dogfood \(phase): \(slowest)")
        }
        var count: Double = 0
        // Every request event of the frozen and gone phases, at least: failed, or refused by the full queue.
        let full = #"kelpie_self_telemetry_dropped_events_total{reason="queue_full"}"#
        let counted = await waitUntil(timeout: .seconds(30)) {
            count = (Self.metric(prod.port, dropped) ?? 0) + (Self.metric(prod.port, full) ?? 0)
            return count >= Double(frozen.sent + gone.sent)
        }
        #expect(counted, "prod counted \(count) of \(frozen.sent + gone.sent) events it could not send")
        #expect(Self.metric(prod.port, sent) == sentBefore, "nothing was sent while dogfood was frozen or gone")
        let stored = try readSpoolEvents(dataDirectory: directory.file("prod")).count
        #expect(stored == 2 * (40 + frozen.sent + gone.sent), "prod stored every customer event: \(stored)")

        prod.signal(SIGTERM)
        kibble.signal(SIGTERM)
        #expect(prod.waitForExit(timeoutSeconds: 20) == 0, "prod log: \(prod.log)")
        #expect(kibble.waitForExit(timeoutSeconds: 20) == 0)
    }
}
