import DispatchSockets
import Testing
import TestSupport

/// A client that pipelines requests and then shuts down its sending side (as `nc -N`, some proxies and
/// test tools do) gets every answer, in order, and then the server closes (RFC 9112 §9.6).
@Suite struct HalfCloseTests {
    @Test(arguments: IOBackendKind.allCases)
    func pipelinedRequestsThenFINAreAllAnsweredInOrder(backend: IOBackendKind) async throws {
        // ack=durable answers ingest requests from the WAL writer's thread, after fsync: the answers are
        // asynchronous, so the FIN is read while requests still wait in the connection's buffer.
        let server = try TestServer { $0.ioBackend = backend }
        defer { server.dataDirectory.remove() }
        let client = try server.client()
        var bytes: [UInt8] = []
        for index in 0..<12 {
            if index % 3 == 2 {
                bytes += RawHTTPClient.request("GET", "/healthz")
            } else {
                bytes += RawHTTPClient.request(
                    "POST", "/1/batch/halfclose", headers: [TestServer.authHeader],
                    body: Array(#"[{"data":{"i":\#(index)}}]"#.utf8)
                )
            }
        }
        try client.send(bytes)
        client.shutdownWrite()
        for index in 0..<12 {
            let response = try client.readResponse()
            #expect(response.status == 200, "response \(index)")
            #expect(response.bodyText == (index % 3 == 2 ? #"{"status":"ok"}"# : #"[{"status":202}]"#), "response \(index)")
        }
        #expect(client.isClosedByPeer(), "the server closes once every complete request is answered")
        let stored = try await server.stopAndReadSpool()
        #expect(stored.compactMap { ($0["data"] as? [String: Any])?["i"] as? Int } == [0, 1, 3, 4, 6, 7, 9, 10])
    }

    @Test(arguments: IOBackendKind.allCases)
    func anIncompleteRequestBeforeTheFINIsNotAnswered(backend: IOBackendKind) async throws {
        let server = try TestServer { $0.ioBackend = backend }
        defer { server.dataDirectory.remove() }
        let client = try server.client()
        let complete = RawHTTPClient.request(
            "POST", "/1/batch/halfclose", headers: [TestServer.authHeader], body: Array(#"[{"data":{"i":1}}]"#.utf8)
        )
        let truncated = Array(RawHTTPClient.request(
            "POST", "/1/batch/halfclose", headers: [TestServer.authHeader], body: Array(#"[{"data":{"i":2}}]"#.utf8)
        ).dropLast(5))
        try client.send(complete + complete + truncated)
        client.shutdownWrite()
        #expect(try client.readResponse().status == 200)
        #expect(try client.readResponse().status == 200)
        #expect(client.isClosedByPeer(), "the cut-off request gets no answer; the connection closes")
        let stored = try await server.stopAndReadSpool()
        #expect(stored.count == 2)
    }
}
