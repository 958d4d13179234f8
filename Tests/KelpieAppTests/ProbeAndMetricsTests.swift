import Foundation
import Testing
import TestSupport

@Suite struct ProbeAndMetricsTests {
    @Test func healthAndReadinessFollowTheLifecycle() async throws {
        let server = try TestServer()
        defer { server.dataDirectory.remove() }
        let client = try server.client()
        #expect(try client.roundTrip("GET", "/healthz").status == 200)
        let ready = try client.roundTrip("GET", "/readyz")
        #expect(ready.status == 200)
        #expect(ready.bodyText == #"{"status":"ready"}"#)
        server.app.beginDraining()
        let draining = try client.roundTrip("GET", "/readyz")
        #expect(draining.status == 503)
        #expect(draining.bodyText.contains("draining"))
        // Liveness does not care about draining.
        #expect(try client.roundTrip("GET", "/healthz").status == 200)
        await server.stop()
    }

    @Test func metricsCountTrafficAndPassPromtool() async throws {
        let server = try TestServer()
        defer { server.dataDirectory.remove() }
        let client = try server.client()
        let batch = Array(#"[{"data":{"a":1}},{"data":"nope"},{"data":{"b":2}}]"#.utf8)
        #expect(try client.roundTrip("POST", "/1/batch/metrics-ds", headers: [TestServer.authHeader], body: batch).status == 200)
        #expect(try client.roundTrip("POST", "/1/batch/metrics-ds", body: batch).status == 401)
        #expect(try client.roundTrip("GET", "/nowhere").status == 404)
        let metrics = try client.roundTrip("GET", "/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.header("Content-Type")?.hasPrefix("text/plain; version=0.0.4") == true)
        let text = metrics.bodyText
        for expected in [
            #"kelpie_ingest_events_accepted_total{format="json"} 2"#,
            #"kelpie_ingest_events_rejected_total{reason="invalid_event"} 1"#,
            #"kelpie_ingest_refusals_total{reason="unauthorized"} 1"#,
            #"kelpie_ingest_dataset_events_total{dataset="metrics-ds"} 2"#,
            #"kelpie_http_requests_total{route="/1/batch/{dataset}",method="POST",code="200",protocol="http/1.1"} 1"#,
            #"kelpie_http_requests_total{route="NotFound",method="GET",code="404",protocol="http/1.1"} 1"#,
            "kelpie_wal_appended_events_total 2",
            "kelpie_ready 1.0",
            "kelpie_http_open_connections 1.0",
        ] {
            #expect(text.contains(expected), "missing: \(expected)")
        }
        #expect(text.contains("kelpie_wal_fsync_duration_seconds_bucket"))
        #expect(text.contains("kelpie_pipeline_queue_capacity_bytes"))

        // promtool is installed by `make test` (scripts/bootstrap.sh test); its absence is a failure, not a skip.
        let promtool = "/usr/bin/promtool"
        try #require(FileManager.default.isExecutableFile(atPath: promtool), "promtool missing: run scripts/bootstrap.sh test")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: promtool)
        process.arguments = ["check", "metrics"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        input.fileHandleForWriting.write(Data(metrics.body))
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        let report = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "promtool: \(report)")
        await server.stop()
    }
}
