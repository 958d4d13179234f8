import Foundation
import KelpieApp
import Pipeline
import Testing
import TestSupport

/// `--sink` and `--ack` end to end: what the client hears, what the sink got, what stayed off the disk.
@Suite struct SinkWiringTests {
    @Test(arguments: [AckMode.memory, .delivered, .durable])
    func nullSinkTakesEveryAcknowledgedEvent(ack: AckMode) async throws {
        let server = try TestServer {
            $0.sink = .null
            $0.ackMode = ack
        }
        defer { server.dataDirectory.remove() }
        let client = try server.client()
        let batch = Array(#"[{"data":{"a":1}},{"data":"nope"},{"data":{"b":2}}]"#.utf8)
        for _ in 0..<5 {
            let response = try client.roundTrip("POST", "/1/batch/sink-ds", headers: [TestServer.authHeader], body: batch)
            #expect(response.status == 200)
            #expect(response.bodyText.hasPrefix(#"[{"status":202},{"status":400"#))
            #expect(response.bodyText.hasSuffix(#"},{"status":202}]"#))
        }
        // ack=durable goes through the WAL and the forwarder: wait for the forwarder to catch up (a generous
        // deadline: under the parallel suite on a loaded 2-core machine it once took over 10 s).
        let deadline = ContinuousClock.now + .seconds(30)
        var text = ""
        repeat {
            text = try client.roundTrip("GET", "/metrics").bodyText
            if text.contains(#"kelpie_sink_delivered_events_total{sink="null"} 10"#) { break }
            try await Task.sleep(for: .milliseconds(20))
        } while ContinuousClock.now < deadline
        #expect(text.contains(#"kelpie_sink_delivered_events_total{sink="null"} 10"#))
        #expect(text.contains("kelpie_sink_reachable 1.0"))
        let stored = try await server.stopAndReadSpool()
        if ack == .durable {
            // Delivered segments are deleted; what is left is at most the last, already-delivered segment.
            #expect(stored.count <= 10)
        } else {
            #expect(stored.isEmpty, "no local disk with ack=\(ack.rawValue) and a remote sink")
        }
    }
}
