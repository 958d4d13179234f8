import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// HTTP/1.1 connection handling through the whole server: keep-alive, pipelining, churn, limits.
@Suite struct ConnectionBehaviourTests {
    static let batch = Array(#"[{"data":{"a":1}}]"#.utf8)

    @Test func thousandSequentialRequestsOnOneConnection() async throws {
        let server = try TestServer { $0.ackMode = .memory }
        defer { server.dataDirectory.remove() }
        let client = try server.client()
        for index in 0..<1000 {
            let body = Array(#"[{"data":{"i":\#(index)}}]"#.utf8)
            let response = try client.roundTrip("POST", "/1/batch/keepalive", headers: [TestServer.authHeader], body: body)
            #expect(response.status == 200)
            if response.status != 200 { break }
        }
        let stored = try await server.stopAndReadSpool()
        #expect(stored.count == 1000)
        #expect((stored.last?["data"] as? [String: Any])?["i"] as? Int == 999)
    }

    @Test func sixteenPipelinedRequestsInOneWriteAnswerInOrder() async throws {
        let server = try TestServer()
        defer { server.dataDirectory.remove() }
        let client = try server.client()
        var bytes: [UInt8] = []
        for index in 0..<16 {
            // Alternate routes so the order of answers is visible in their bodies.
            if index % 2 == 0 {
                bytes += RawHTTPClient.request("POST", "/1/batch/pipelined", headers: [TestServer.authHeader], body: Array(#"[{"data":{"i":\#(index)}},{"data":{}}]"#.utf8))
            } else {
                bytes += RawHTTPClient.request("GET", "/healthz")
            }
        }
        try client.send(bytes)
        for index in 0..<16 {
            let response = try client.readResponse()
            #expect(response.status == 200)
            if index % 2 == 0 {
                #expect(response.bodyText == #"[{"status":202},{"status":400,"error":"empty event data"}]"#)
            } else {
                #expect(response.bodyText == #"{"status":"ok"}"#)
            }
        }
        let stored = try await server.stopAndReadSpool()
        #expect(stored.compactMap { ($0["data"] as? [String: Any])?["i"] as? Int } == [0, 2, 4, 6, 8, 10, 12, 14])
    }

    @Test func requestsPipelinedBehindRouterAnswersAreServed() async throws {
        // 404/405 are answered inside the parse loop; the request behind them must not stall.
        let server = try TestServer()
        defer { server.dataDirectory.remove() }
        let client = try server.client()
        try client.send(
            RawHTTPClient.request("GET", "/nowhere") + RawHTTPClient.request("GET", "/1/batch/x")
                + RawHTTPClient.request("GET", "/healthz")
        )
        #expect(try client.readResponse().status == 404)
        #expect(try client.readResponse().status == 405)
        #expect(try client.readResponse().status == 200)
        await server.stop()
    }

    @Test func twoThousandConnectionsLeakNoDescriptor() async throws {
        let server = try TestServer()
        defer { server.dataDirectory.remove() }
        let before = openSocketCount(localPort: server.port)
        for round in 0..<2000 {
            let client = try server.client()
            if round % 2 == 0 {
                let response = try client.roundTrip("GET", "/healthz")
                #expect(response.status == 200)
            }
            // Odd rounds close without sending anything.
        }
        // The server closes its side after each client's FIN; give the lanes a moment.
        var after = openSocketCount(localPort: server.port)
        for _ in 0..<200 where after > before {
            try await Task.sleep(for: .milliseconds(10))
            after = openSocketCount(localPort: server.port)
        }
        #expect(after == before, "server-side sockets before \(before), after \(after)")
        // The driver's close callback (which moves the gauge) follows the fd close on the lane.
        var gaugeAtZero = false
        for _ in 0..<200 where !gaugeAtZero {
            gaugeAtZero = server.app.metrics.registry.emitToString().contains("kelpie_http_open_connections 0.0\n")
            if !gaugeAtZero { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(gaugeAtZero)
        await server.stop()
    }

    @Test func missingKeyIs401NamingTheHeader() async throws {
        let server = try TestServer()
        defer { server.dataDirectory.remove() }
        for headers in [[], [("X-Honeycomb-Team", "")]] {
            let response = try server.client().roundTrip("POST", "/1/batch/ds", headers: headers, body: Self.batch)
            #expect(response.status == 401)
            #expect(response.bodyText == #"{"error":"missing 'x-honeycomb-team' header"}"#)
            let auth = try server.client().roundTrip("GET", "/1/auth", headers: headers)
            #expect(auth.status == 401)
            #expect(auth.bodyText == #"{"error":"missing 'x-honeycomb-team' header"}"#)
        }
        // Refinery's alias is accepted.
        let aliased = try server.client().roundTrip("POST", "/1/batch/ds", headers: [("X-Hny-Team", "abc")], body: Self.batch)
        #expect(aliased.status == 200)
        await server.stop()
    }

    @Test func wrongMethodOnIngestPathIs405WithCORSHeader() async throws {
        // docs/api.md: every answer of the ingest and auth routes carries the CORS header, 405 included.
        let server = try TestServer()
        defer { server.dataDirectory.remove() }
        for (method, path, allow) in [
            ("GET", "/1/batch/ds", "POST, OPTIONS"), ("PUT", "/1/events/ds", "POST, OPTIONS"),
            ("DELETE", "/v1/traces", "POST, OPTIONS"), ("POST", "/1/auth", "GET, OPTIONS"),
        ] {
            let response = try server.client().roundTrip(method, path, headers: [TestServer.authHeader])
            #expect(response.status == 405, "\(method) \(path)")
            #expect(response.header("Access-Control-Allow-Origin") == "*", "\(method) \(path)")
            #expect(response.header("Allow") == allow, "\(method) \(path)")
        }
        // Probes are not CORS routes: their 405 stays the router's.
        let probe = try server.client().roundTrip("POST", "/healthz")
        #expect(probe.status == 405)
        #expect(probe.header("Access-Control-Allow-Origin") == nil)
        await server.stop()
    }

    @Test func wholeRequestErrorsHaveStatusAndJSONError() async throws {
        let server = try TestServer()
        defer { server.dataDirectory.remove() }
        let auth = TestServer.authHeader
        let cases: [(String, String, [(String, String)], [UInt8], Int, String)] = [
            ("POST", "/1/batch/ds", [auth], Array("not json".utf8), 400, "Request body is malformed and cannot be read."),
            ("POST", "/1/batch/ds", [auth], Array(#"{"data":{}}"#.utf8), 400, "Request body is malformed and cannot be read."),
            ("POST", "/1/batch/ds", [auth], [], 400, "Request body should not be empty."),
            ("POST", "/1/batch/ds", [auth, ("Content-Encoding", "br")], Self.batch, 415, "unsupported Content-Encoding; use gzip, zstd or none"),
            ("POST", "/1/batch/ds", [auth, ("Content-Encoding", "gzip")], Self.batch, 400, "Request body is malformed and cannot be read."),
            ("POST", "/1/events/ds", [auth], Array("[1]".utf8), 400, "Request body is malformed and cannot be read."),
            ("GET", "/1/batch/ds", [auth], [], 405, "method not allowed"),
            ("POST", "/2/batch/ds", [auth], Self.batch, 404, "not found"),
            ("POST", "/1/batch/bad%zzname", [auth], Self.batch, 400, "malformed percent-encoding in path"),
        ]
        for (method, path, headers, body, status, message) in cases {
            let response = try server.client().roundTrip(method, path, headers: headers, body: body)
            #expect(response.status == status, "\(method) \(path)")
            #expect(response.header("Content-Type") == "application/json")
            let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
            #expect(object?["error"] as? String == message, "\(method) \(path): \(response.bodyText)")
        }
        #expect(try await server.stopAndReadSpool().isEmpty)
    }

    @Test func limitsAtNMinusOneNAndNPlusOne() async throws {
        let bodyLimit = 4096
        let headerLimit = 2048
        let server = try TestServer {
            $0.maxBodyBytes = bodyLimit
            $0.maxHeaderBytes = headerLimit
            $0.maxHeaderCount = 20
            $0.maxRequestLineBytes = 512
        }
        defer { server.dataDirectory.remove() }
        // Body: a valid batch padded with spaces to exactly the size under test.
        for (size, status) in [(bodyLimit - 1, 200), (bodyLimit, 200), (bodyLimit + 1, 413)] {
            let body = Self.batch + [UInt8](repeating: UInt8(ascii: " "), count: size - Self.batch.count)
            let response = try server.client().roundTrip("POST", "/1/batch/limits", headers: [TestServer.authHeader], body: body)
            #expect(response.status == status, "body of \(size) bytes")
        }
        // Header count: the request has Host (+ Content-Length for POST); GET /healthz adds only Host.
        for (count, status) in [(19, 200), (20, 200), (21, 431)] {
            let headers = (0..<(count - 1)).map { ("X-Pad-\($0)", "v") }
            let response = try server.client().roundTrip("GET", "/healthz", headers: headers)
            #expect(response.status == status, "\(count) header fields")
        }
        // Request line: "GET /healthz?q=... HTTP/1.1" sized exactly (without CRLF).
        for (length, status) in [(511, 200), (512, 200), (513, 414)] {
            let fixed = "GET /healthz?q= HTTP/1.1".utf8.count
            let target = "/healthz?q=" + String(repeating: "a", count: length - fixed)
            let response = try server.client().roundTrip("GET", target)
            #expect(response.status == status, "request line of \(length) bytes")
        }
        await server.stop()
    }

    @Test func malformedRequestsGetTheirStatusAndTheConnectionCloses() async throws {
        let server = try TestServer()
        defer { server.dataDirectory.remove() }
        let cases: [(String, Int)] = [
            ("GET /healthz HTTP/2.0\r\n\r\n", 505),
            ("GET /healthz HTTP/1.1\r\nHost : x\r\n\r\n", 400),
            ("POST /1/batch/ds HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
            ("POST /1/batch/ds HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400),
            ("POST /1/batch/ds HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
            ("POST /1/batch/ds HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400),
            ("POST /1/batch/ds HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
            ("G\u{1}T / HTTP/1.1\r\n\r\n", 400),
        ]
        for (request, status) in cases {
            let client = try server.client()
            try client.send(request)
            let response = try client.readResponse()
            #expect(response.status == status, "\(request.debugDescription)")
            #expect(response.header("Connection")?.lowercased() == "close")
            #expect(client.isClosedByPeer())
        }
        await server.stop()
    }

    @Test func chunkedBodyAndExpectContinue() async throws {
        let server = try TestServer()
        defer { server.dataDirectory.remove() }
        let client = try server.client()
        try client.send("POST /1/batch/chunky HTTP/1.1\r\nHost: x\r\nX-Honeycomb-Team: k\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n[{\"da\r\n11\r\nta\":{\"chunk\":1}}]\r\n0\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.bodyText == #"[{"status":202}]"#)

        let body = Self.batch
        try client.send("POST /1/batch/continue HTTP/1.1\r\nHost: x\r\nX-Honeycomb-Team: k\r\nExpect: 100-continue\r\nContent-Length: \(body.count)\r\n\r\n")
        let interim = try client.readResponse()
        #expect(interim.status == 100)
        try client.send(body)
        #expect(try client.readResponse().status == 200)
        let stored = try await server.stopAndReadSpool()
        #expect(stored.count == 2)
    }

    @Test func idleAndHeaderTimeoutsCloseConnections() async throws {
        let server = try TestServer {
            $0.timeouts.headerTimeout = .milliseconds(300)
            $0.timeouts.idleTimeout = .milliseconds(300)
        }
        defer { server.dataDirectory.remove() }
        // Idle keep-alive connection: closed silently after the idle timeout.
        let idle = try server.client()
        #expect(try idle.roundTrip("GET", "/healthz").status == 200)
        #expect(idle.isClosedByPeer())
        // Half a head (slowloris): 408, then closed.
        let slow = try server.client()
        try slow.send("GET /healthz HTTP/1.1\r\nHost: x\r\n")
        let response = try slow.readResponse()
        #expect(response.status == 408)
        #expect(slow.isClosedByPeer())
        await server.stop()
    }
}
