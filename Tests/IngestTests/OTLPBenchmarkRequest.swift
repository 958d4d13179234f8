import TestSupport

/// A realistic OTLP trace export for benchmarks: what an OTel SDK's batch span processor sends (512
/// spans per request by default), HTTP server and database client spans with the usual semantic
/// convention attributes, one resource with SDK/service/host attributes, some spans with an event.
enum OTLPBenchmarkRequest {
    static let defaultSpanCount = 512

    static func traces(spans spanCount: Int = defaultSpanCount) -> [UInt8] {
        typealias Proto = OTLPTestProto
        var spans: [[UInt8]] = []
        spans.reserveCapacity(spanCount)
        let start: UInt64 = 1_700_000_000_000_000_000
        for index in 0..<spanCount {
            var traceID = Array(repeating: UInt8(0), count: 16)
            var spanID = Array(repeating: UInt8(0), count: 8)
            for byte in 0..<16 { traceID[byte] = UInt8(truncatingIfNeeded: (index / 8) &* 31 &+ byte &* 17 &+ 1) }
            for byte in 0..<8 { spanID[byte] = UInt8(truncatingIfNeeded: index &* 13 &+ byte &* 7 &+ 3) }
            let spanStart = start + UInt64(index) * 1_000_000
            let isServer = index % 8 == 0
            let attributes: [(String, Proto.Value)] = isServer
                ? [
                    ("http.request.method", .string("GET")), ("url.path", .string("/api/items/\(index)")),
                    ("url.scheme", .string("https")), ("server.address", .string("shop.example.com")),
                    ("server.port", .int(443)), ("http.route", .string("/api/items/{id}")),
                    ("http.response.status_code", .int(index % 50 == 0 ? 500 : 200)),
                    ("network.protocol.version", .string("1.1")), ("client.address", .string("10.1.2.\(index % 250)")),
                    ("user_agent.original", .string("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0")),
                ]
                : [
                    ("db.system.name", .string("postgresql")), ("db.namespace", .string("shop")),
                    ("db.operation.name", .string("SELECT")),
                    ("db.query.text", .string("SELECT id, name, price FROM items WHERE id = $1 AND tenant = $2")),
                    ("server.address", .string("db-primary.internal")), ("server.port", .int(5432)),
                    ("db.response.returned_rows", .int(Int64(index % 17))), ("cache.hit", .bool(index % 3 == 0)),
                ]
            spans.append(Proto.span(
                traceID: traceID, spanID: spanID, parentID: isServer ? nil : Array(spanID.reversed()),
                name: isServer ? "GET /api/items/{id}" : "SELECT shop.items", kind: isServer ? 2 : 3,
                start: spanStart, end: spanStart + 250_000 + UInt64(index % 97) * 1_000, attributes: attributes,
                statusCode: index % 50 == 0 ? 2 : nil,
                extra: { span in
                    span.fixed32(16, 0x100)
                    if index % 16 == 0 {
                        span.message(11) { event in
                            event.fixed64(1, spanStart + 100_000)
                            event.string(2, "cache.refresh")
                            event.attribute(3, "cache.key", .string("items:\(index)"))
                        }
                    }
                }))
        }
        return Proto.traceRequest([(
            attributes: [
                ("telemetry.sdk.language", .string("go")), ("telemetry.sdk.name", .string("opentelemetry")),
                ("telemetry.sdk.version", .string("1.28.0")), ("service.name", .string("shop-api")),
                ("service.version", .string("2.14.1")), ("service.instance.id", .string("6a9a4a2e-3c1f-4d7b-9a51-0d7c2f1e8b44")),
                ("deployment.environment.name", .string("production")), ("host.name", .string("shop-api-7d9f8c6b5-x2k4p")),
                ("k8s.pod.name", .string("shop-api-7d9f8c6b5-x2k4p")), ("k8s.namespace.name", .string("shop")),
            ],
            spans: spans)])
    }
}
