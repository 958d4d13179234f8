import Foundation
import Locking
import Testing
import TestSupport

/// Overload through the whole server: a queue too small for the offered load answers 503 with Retry-After
/// (never 500, never a hang), counts every refusal, and loses nothing it acknowledged.
@Suite struct OverloadTests {
    @Test func fullQueueAnswers503WithRetryAfterAndKeepsWhatItAcknowledged() async throws {
        // One ~3 KB request fits the 4 KiB budget; a second one while the first waits for fsync does not.
        let server = try TestServer {
            $0.ackMode = .durable
            $0.maxDecodedBodyBytes = 4096
            $0.maxQueuedBytes = 4096
        }
        defer { server.dataDirectory.remove() }
        let statuses = Lock<[Int: Int]>([:])
        let acknowledged = Lock<Set<String>>([])
        let port = server.port
        let threads = (0..<8).map { sender in
            Thread {
                guard let client = try? RawHTTPClient(port: port) else { return }
                for sequence in 0..<150 {
                    let id = "\(sender)-\(sequence)"
                    let body = Array(#"[{"data":{"id":"\#(id)","pad":"\#(String(repeating: "p", count: 3000))"}}]"#.utf8)
                    guard let response = try? client.roundTrip("POST", "/1/batch/overload", headers: [TestServer.authHeader], body: body) else { return }
                    statuses.withLock { $0[response.status, default: 0] += 1 }
                    if response.status == 200 { acknowledged.withLock { _ = $0.insert(id) } }
                    if response.status == 503 {
                        #expect(response.header("Retry-After") == "1")
                        #expect(response.bodyText == #"{"error":"server is at capacity; retry later"}"#)
                    }
                }
            }
        }
        threads.forEach { $0.start() }
        #expect(await waitUntil(timeout: .seconds(120)) { statuses.withLock { $0.values.reduce(0, +) } >= 8 * 150 })
        let counts = statuses.withLock { $0 }
        #expect(Set(counts.keys).isSubset(of: [200, 503]), "\(counts)")
        #expect((counts[503] ?? 0) > 0, "the budget should have been exceeded: \(counts)")
        #expect((counts[200] ?? 0) > 0)
        let metrics = server.app.metrics.registry.emitToString()
        #expect(metrics.contains(#"kelpie_ingest_refusals_total{reason="queue_full"} \#(counts[503] ?? 0)"#))

        let stored = try await server.stopAndReadSpool()
        let storedIDs = Set(stored.compactMap { ($0["data"] as? [String: Any])?["id"] as? String })
        #expect(storedIDs == acknowledged.withLock { $0 })
    }
}
