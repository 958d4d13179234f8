import Foundation
import Testing
import TestSupport

/// OTLP/gRPC through the whole server over real sockets: HTTP/2 with prior knowledge on the same port as
/// HTTP/1.1, the three services, the status mapping, many streams on one connection and a 4 MB export.
@Suite struct GRPCTests {
    static let traceExport = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
    static let logsExport = "/opentelemetry.proto.collector.logs.v1.LogsService/Export"
    static let metricsExport = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export"

    /// A gRPC message: not compressed, 4-byte big-endian length, the bytes.
    static func framed(_ message: [UInt8], compressed: Bool = false) -> [UInt8] {
        let length = UInt32(message.count)
        return [compressed ? 1 : 0, UInt8(length >> 24), UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff)]
            + message
    }

    static func grpcHeaders(key: String? = TestServer.key, _ extra: [(String, String)] = []) -> [(String, String)] {
        [("content-type", "application/grpc"), ("te", "trailers")] + (key.map { [("x-honeycomb-team", $0)] } ?? []) + extra
    }

    /// The gRPC status of an answered stream: from the trailers, or from the headers of a Trailers-Only answer.
    static func grpcStatus(_ record: HTTP2TestClient.StreamRecord?) -> String? {
        guard let record else { return nil }
        return (record.trailers + record.headers).first { $0.0 == "grpc-status" }?.1
    }

    static func spans(_ count: Int, service: String = "grpc-test", attributeBytes: Int = 0) -> [UInt8] {
        let spans = (0..<count).map { index in
            OTLPTestProto.span(
                spanID: withUnsafeBytes(of: UInt64(index + 1).bigEndian, Array.init), name: "span \(index)",
                attributes: attributeBytes > 0 ? [("pad", .string(String(repeating: "p", count: attributeBytes)))] : []
            )
        }
        return OTLPTestProto.traceRequest([(attributes: [("service.name", .string(service))], spans: spans)])
    }

    @Test func http1AndHTTP2ShareOnePortAndTheSameTelemetryGivesTheSameEvents() async throws {
        let server = try TestServer()
        defer { server.dataDirectory.remove() }
        let export = Self.spans(3, service: "one-port")

        let http1 = try server.client().roundTrip(
            "POST", "/v1/traces", headers: [TestServer.authHeader, ("Content-Type", "application/x-protobuf")], body: export
        )
        #expect(http1.status == 200)

        let socket = try server.client()
        let client = HTTP2TestClient()
        let health = client.request(method: "GET", path: "/healthz")
        let grpc = client.request(path: Self.traceExport, headers: Self.grpcHeaders(), body: Self.framed(export))
        try client.exchange(over: socket) { client.streams[health]?.closedWith != nil && client.streams[grpc]?.closedWith != nil }
        #expect(client.streams[health]?.status == "200")
        #expect(client.streams[grpc]?.status == "200")
        #expect(client.streams[grpc]?.headers.contains { $0 == ("content-type", "application/grpc") } == true)
        #expect(Self.grpcStatus(client.streams[grpc]) == "0")
        // An empty ExportTraceServiceResponse, framed.
        #expect(client.streams[grpc]?.body == [0, 0, 0, 0, 0])

        let stored = try await server.stopAndReadSpool()
        #expect(stored.count == 6)
        let viaHTTP1 = stored.prefix(3).map { canonicalJSON($0["data"]!) }
        let viaHTTP2 = stored.suffix(3).map { canonicalJSON($0["data"]!) }
        #expect(viaHTTP1 == viaHTTP2)
        #expect(Set(stored.compactMap { $0["dataset"] as? String }) == ["one-port"])
    }

    @Test func statusesFollowTheOTLPSpecification() async throws {
        let server = try TestServer()
        defer { server.dataDirectory.remove() }
        let socket = try server.client()
        let client = HTTP2TestClient()
        let valid = Self.framed(Self.spans(1))
        let ids = [
            "ok": client.request(path: Self.traceExport, headers: Self.grpcHeaders(), body: valid),
            "noKey": client.request(path: Self.traceExport, headers: Self.grpcHeaders(key: nil), body: valid),
            "malformed": client.request(path: Self.traceExport, headers: Self.grpcHeaders(), body: Self.framed([0x0a, 0xff, 0xff])),
            "truncatedFrame": client.request(path: Self.traceExport, headers: Self.grpcHeaders(), body: Array(valid.dropLast())),
            "deflate": client.request(path: Self.traceExport, headers: Self.grpcHeaders(key: TestServer.key, [("grpc-encoding", "deflate")]),
                                      body: Self.framed([1, 2], compressed: true)),
            "badGzip": client.request(path: Self.logsExport, headers: Self.grpcHeaders(key: TestServer.key, [("grpc-encoding", "gzip")]),
                                      body: Self.framed([1, 2, 3], compressed: true)),
            "unknownMethod": client.request(path: "/opentelemetry.proto.collector.trace.v1.TraceService/Other", headers: Self.grpcHeaders(), body: valid),
            "unknownService": client.request(path: "/grpc.health.v1.Health/Check", headers: Self.grpcHeaders(), body: Self.framed([])),
            "emptyMetrics": client.request(path: Self.metricsExport, headers: Self.grpcHeaders(), body: Self.framed([])),
        ]
        try client.exchange(over: socket) { ids.values.allSatisfy { client.streams[$0]?.closedWith != nil } }
        let expected = [
            "ok": "0", "noKey": "16", "malformed": "3", "truncatedFrame": "3", "deflate": "12", "badGzip": "3",
            "unknownMethod": "12", "unknownService": "12", "emptyMetrics": "0",
        ]
        for (name, id) in ids {
            #expect(client.streams[id]?.status == "200", "\(name)")
            #expect(Self.grpcStatus(client.streams[id]) == expected[name], "\(name): \(client.streams[id].map { $0.headers + $0.trailers } ?? [])")
        }
        let message = (client.streams[ids["noKey"]!]!.headers).first { $0.0 == "grpc-message" }?.1
        #expect(message == "missing 'x-honeycomb-team' metadata")
        let accepted = client.streams[ids["deflate"]!]!.headers.first { $0.0 == "grpc-accept-encoding" }?.1
        #expect(accepted == "identity,gzip,zstd")
        await server.stop()
    }

    @Test func manyConcurrentExportsOnOneConnection() async throws {
        let server = try TestServer()
        defer { server.dataDirectory.remove() }
        let socket = try server.client()
        let client = HTTP2TestClient()
        let ids = (0..<64).map { index in
            client.request(path: Self.traceExport, headers: Self.grpcHeaders(), body: Self.framed(Self.spans(2, service: "stream-\(index)")))
        }
        try client.exchange(over: socket) { ids.allSatisfy { client.streams[$0]?.closedWith != nil } }
        #expect(ids.allSatisfy { Self.grpcStatus(client.streams[$0]) == "0" })
        let stored = try await server.stopAndReadSpool()
        #expect(stored.count == 128)
        #expect(Set(stored.compactMap { $0["dataset"] as? String }).count == 64)
    }

    @Test func a4MBExportFlowsThroughTheWindows() async throws {
        let server = try TestServer()
        defer { server.dataDirectory.remove() }
        let export = Self.spans(4_000, attributeBytes: 1_000)
        #expect(export.count > 4_000_000)
        let socket = try server.client()
        let client = HTTP2TestClient()
        let id = client.request(path: Self.traceExport, headers: Self.grpcHeaders(), body: Self.framed(export))
        try client.exchange(over: socket, timeout: .seconds(30)) { client.streams[id]?.closedWith != nil }
        #expect(Self.grpcStatus(client.streams[id]) == "0")
        let stored = try await server.stopAndReadSpool()
        #expect(stored.count == 4_000)
    }

    @Test func aBurstOfResetsEndsTheConnectionAndIsCounted() async throws {
        let server = try TestServer()
        defer { server.dataDirectory.remove() }
        let socket = try server.client()
        let client = HTTP2TestClient()
        try client.exchange(over: socket) { true }  // the preface and SETTINGS out
        // Past the default burst of 200 resets: GOAWAY ENHANCE_YOUR_CALM (0xb), then the server closes.
        for _ in 0..<300 {
            let id = client.openStream(path: Self.traceExport)
            try socket.send(client.takeOutput())
            client.reset(id)
        }
        do {
            try client.exchange(over: socket) { client.goAway != nil }
        } catch RawHTTPClient.ClientError.closed {
            // The GOAWAY may arrive together with the close.
        }
        #expect(client.goAway?.errorCode == 0xb)
        let metrics = try server.client().roundTrip("GET", "/metrics").bodyText
        #expect(metrics.contains(#"kelpie_http2_connection_errors_total{reason="rapid_reset"} 1"#))
        await server.stop()
    }

    @Test func anUploadOverTheBodyLimitIsResourceExhaustedAndTheConnectionGoesOn() async throws {
        let server = try TestServer { $0.maxBodyBytes = 64 * 1024 }
        defer { server.dataDirectory.remove() }
        let socket = try server.client()
        let client = HTTP2TestClient()
        let big = client.request(path: Self.traceExport, headers: Self.grpcHeaders(), body: Self.framed(Self.spans(200, attributeBytes: 1_000)))
        try client.exchange(over: socket) { client.streams[big]?.closedWith != nil }
        #expect(Self.grpcStatus(client.streams[big]) == "8")
        let small = client.request(path: Self.traceExport, headers: Self.grpcHeaders(), body: Self.framed(Self.spans(1)))
        try client.exchange(over: socket) { client.streams[small]?.closedWith != nil }
        #expect(Self.grpcStatus(client.streams[small]) == "0")
        #expect(try await server.stopAndReadSpool().count == 1)
    }
}
