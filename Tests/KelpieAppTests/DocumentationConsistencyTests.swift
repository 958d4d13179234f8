import Foundation
import HTTP1
@testable import KelpieApp
import Testing
import TestSupport

/// docs/api.md and docs/metrics.md describe the binary: these fail when a route or a metric is added,
/// renamed or removed on one side only. (Flags vs docs/configuration.md: tests/docs.sh, on the binary.)
@Suite struct DocumentationConsistencyTests {
    static let docs = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs")

    static func read(_ name: String) throws -> String {
        try String(contentsOf: docs.appendingPathComponent(name), encoding: .utf8)
    }

    /// `METHOD /path` spans in backticks, plus bare `/path` spans on a line that names the method
    /// (`## OTLP/HTTP: \`POST /v1/traces\`, \`/v1/logs\``).
    static func documentedRoutes(_ text: String) -> Set<String> {
        var routes: Set<String> = []
        let methods = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"]
        for line in text.split(separator: "\n") {
            let spans = line.split(separator: "`", omittingEmptySubsequences: false).enumerated()
                .filter { $0.offset % 2 == 1 }.map { String($0.element) }
            var method: String?
            for span in spans {
                let parts = span.split(separator: " ")
                if parts.count == 2, methods.contains(String(parts[0])), parts[1].hasPrefix("/") {
                    method = String(parts[0])
                    routes.insert(span)
                } else if let method, parts.count == 1, span.hasPrefix("/") {
                    routes.insert("\(method) \(span)")
                }
            }
        }
        return routes
    }

    @Test func everyRouteIsInTheAPIDocsAndEveryDocumentedRouteExists() async throws {
        let server = try TestServer()
        defer { server.dataDirectory.remove() }
        let documented = Self.documentedRoutes(try Self.read("api.md"))
        let router = server.app.server.router
        // Served routes: OPTIONS preflights are documented once under CORS; routes that only answer 405
        // (the CORS wrapper's) are found by asking them.
        for route in router.allRoutes where route.method != .options {
            let path = route.template.replacingOccurrences(of: "{dataset}", with: "docs-check")
            let status = try server.client().roundTrip(route.method.rawValue, path).status
            if status == 405 { continue }
            #expect(documented.contains("\(route.method.rawValue) \(route.template)"),
                    "\(route.method.rawValue) \(route.template) is served but docs/api.md does not document it")
        }
        for entry in documented {
            let parts = entry.split(separator: " ")
            let path = parts[1].replacingOccurrences(of: "{dataset}", with: "docs-check")
            guard case .found = router.match(method: HTTPMethod(rawValue: String(parts[0])), path: path[...]) else {
                Issue.record("docs/api.md documents \(entry), which the router does not serve")
                continue
            }
        }
        #expect(documented.count >= 8, "parsed only \(documented.sorted()) from docs/api.md")
        await server.stop()
    }

    /// Metric names in docs/metrics.md: the main tables, and the section for `--sink kafka`.
    static func documentedMetrics() throws -> (always: Set<String>, kafka: Set<String>) {
        var always: Set<String> = []
        var kafka: Set<String> = []
        var inKafkaSection = false
        for line in try read("metrics.md").split(separator: "\n") {
            if line.hasPrefix("## ") { inKafkaSection = line.contains("--sink kafka") }
            guard line.hasPrefix("| `"), let name = line.dropFirst(3).split(separator: "`").first.map(String.init) else {
                continue
            }
            if inKafkaSection { kafka.insert(name) } else { always.insert(name) }
        }
        return (always, kafka)
    }

    /// Every `# TYPE` name one scrape of `server` exports, after a batch that gives the labelled families a series.
    static func exportedMetrics(_ server: TestServer) throws -> Set<String> {
        let batch = Array(#"[{"data":{"a":1}},{"data":"nope"}]"#.utf8)
        #expect(try server.client().roundTrip("POST", "/1/batch/docs", headers: [TestServer.authHeader], body: batch).status == 200)
        let scrape = try server.client().roundTrip("GET", "/metrics")
        #expect(scrape.status == 200)
        return Set(scrape.bodyText.split(separator: "\n").compactMap { line -> String? in
            let parts = line.split(separator: " ")
            return parts.count >= 4 && parts[0] == "#" && parts[1] == "TYPE" ? String(parts[2]) : nil
        })
    }

    @Test func metricsExportedAndDocumentedAreTheSame() async throws {
        let server = try TestServer()
        defer { server.dataDirectory.remove() }
        let exported = try Self.exportedMetrics(server)
        let documented = try Self.documentedMetrics().always
        #expect(exported.count >= 20, "parsed only \(exported.sorted()) from /metrics")
        for name in exported.subtracting(documented).sorted() {
            Issue.record("/metrics exports \(name), missing from docs/metrics.md")
        }
        for name in documented.subtracting(exported).sorted() {
            Issue.record("docs/metrics.md lists \(name), which /metrics does not export")
        }
        await server.stop()
    }

    /// With `--sink kafka` (librdkafka's in-process mock cluster as the broker), the Kafka section's
    /// families are exported too, and nothing undocumented.
    @Test func kafkaMetricsExportedAndDocumentedAreTheSame() async throws {
        let server = try TestServer {
            $0.sink = .kafka
            $0.ackMode = .delivered
            $0.kafkaBrokers = "127.0.0.1:1"
            $0.kafkaProperties = ["test.mock.num.brokers=1"]
        }
        defer { server.dataDirectory.remove() }
        let exported = try Self.exportedMetrics(server)
        let (always, kafka) = try Self.documentedMetrics()
        #expect(kafka.count >= 5, "parsed only \(kafka.sorted()) from the Kafka section")
        for name in exported.subtracting(always.union(kafka)).sorted() {
            Issue.record("/metrics exports \(name) with --sink kafka, missing from docs/metrics.md")
        }
        for name in kafka.subtracting(exported).sorted() {
            Issue.record("docs/metrics.md lists \(name) for --sink kafka, which /metrics does not export")
        }
        await server.stop()
    }
}
