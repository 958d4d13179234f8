import DispatchSockets
import TestSupport
import Glibc
import Testing

/// End-to-end tests over real loopback sockets. Every test runs for both backends. Serialized:
/// several tests count this process's descriptors.
@Suite(.serialized)
struct SocketServerTests {
    @Test(arguments: IOBackendKind.allCases, ["127.0.0.1", "::1"])
    func echoRoundTrip(backend: IOBackendKind, host: String) async throws {
        try await withServer(backend: backend, host: host) { running in
            #expect(running.address.host == host)
            #expect(running.address.port != 0)
            let client = try TestClient(connectingTo: running.address)
            try client.send("hello, lane")
            #expect(try client.receiveString(exactly: 11) == "hello, lane")
            let connection = try #require(running.events.openConnections().first)
            #expect(connection.remoteAddress.host == host)
            #expect(connection.remoteAddress.port == client.localPort)
            client.close()
            #expect(await waitUntil { running.events.closedCount == 1 })
        }
    }

    @Test(arguments: IOBackendKind.allCases)
    func largeWriteToSlowReaderBuffersThenDrains(backend: IOBackendKind) async throws {
        let payloadBytes = 16 * 1024 * 1024
        var script = HandlerScript()
        script.onOpen = { connection, events in
            connection.write(Self.pattern(count: payloadBytes))
            events.note("pendingAfterWrite", by: connection.pendingOutputBytes)
        }
        script.onDrain = { connection, events in
            events.note("pendingAtDrain", by: connection.pendingOutputBytes)
            connection.close(flushingOutput: true)
        }
        try await withServer(backend: backend, script: script) { running in
            let client = try TestClient(connectingTo: running.address)
            // The server has hit EAGAIN (its write left bytes pending) before the client reads anything.
            #expect(await waitUntil { running.events.noteValue("pendingAfterWrite") > 0 })
            var offset = 0
            var mismatches = 0
            let received = try client.receiveUntilEOF { chunk in
                if !Self.matchesPattern(chunk, at: offset) { mismatches += 1 }
                offset += chunk.count
            }
            #expect(received == payloadBytes)
            #expect(mismatches == 0)
            #expect(running.events.noteValue("pendingAfterWrite") > 0, "the kernel cannot take 16 MB at once")
            #expect(running.events.noteValue("pendingAtDrain") == 0)
            #expect(running.events.read { $0.drains } == 1)
        }
    }

    @Test(arguments: IOBackendKind.allCases)
    func flushingCloseDeliversEverythingBeforeFIN(backend: IOBackendKind) async throws {
        let payloadBytes = 4 * 1024 * 1024
        var script = HandlerScript()
        script.onOpen = { connection, _ in
            connection.write(Self.pattern(count: payloadBytes))
            connection.close(flushingOutput: true)
        }
        script.onRead = { _, _, events in events.note("readAfterClose") }
        try await withServer(backend: backend, script: script) { running in
            let client = try TestClient(connectingTo: running.address)
            // Input the server never reads: without draining it while closing, close() would send
            // RST and the client could lose the tail of the payload.
            try client.send([UInt8](repeating: 7, count: 100_000))
            try await Task.sleep(for: .milliseconds(100))
            var offset = 0
            var mismatches = 0
            let received = try client.receiveUntilEOF { chunk in
                if !Self.matchesPattern(chunk, at: offset) { mismatches += 1 }
                offset += chunk.count
            }
            #expect(received == payloadBytes)
            #expect(mismatches == 0)
            #expect(running.events.noteValue("readAfterClose") == 0, "input after close is discarded, not delivered")
            client.close()
            #expect(await waitUntil { running.events.closedCount == 1 })
        }
    }

    /// The response fits in the socket buffers, so the flushing close reaches shutdown(SHUT_WR) at
    /// once while the client has read nothing. Input the client sends afterwards must not meet a
    /// closed socket (which answers with RST and makes the client lose the unread response): the
    /// server keeps reading and discarding until the client's FIN.
    @Test(arguments: IOBackendKind.allCases)
    func flushingCloseLingersSoLateInputDoesNotResetTheResponse(backend: IOBackendKind) async throws {
        let payloadBytes = 200_000
        var script = HandlerScript()
        script.onOpen = { connection, _ in
            connection.write(Self.pattern(count: payloadBytes))
            connection.close(flushingOutput: true)
        }
        try await withServer(backend: backend, script: script) { running in
            let client = try TestClient(connectingTo: running.address)
            try await Task.sleep(for: .milliseconds(100))  // the server has shut down its write side
            try client.send([UInt8](repeating: 1, count: 1000))
            try await Task.sleep(for: .milliseconds(100))  // a reset, if any, has arrived by now
            var offset = 0
            var mismatches = 0
            let received = try client.receiveUntilEOF { chunk in
                if !Self.matchesPattern(chunk, at: offset) { mismatches += 1 }
                offset += chunk.count
            }
            #expect(received == payloadBytes)
            #expect(mismatches == 0)
            #expect(running.events.closedCount == 0, "still lingering until our FIN")
            client.close()
            #expect(await waitUntil { running.events.closedCount == 1 })
        }
    }

    @Test(arguments: IOBackendKind.allCases)
    func keepAliveThousandRoundTrips(backend: IOBackendKind) async throws {
        try await withServer(backend: backend) { running in
            let client = try TestClient(connectingTo: running.address)
            for round in 0..<1000 {
                let message = "request \(round) \(String(repeating: "x", count: round % 50))"
                try client.send(message)
                #expect(try client.receiveString(exactly: message.utf8.count) == message)
            }
            #expect(running.server.acceptedConnectionCount == 1)
        }
    }

    @Test(arguments: IOBackendKind.allCases)
    func halfCloseGetsResponseThenEOF(backend: IOBackendKind) async throws {
        var script = HandlerScript()
        script.onRead = { _, bytes, events in events.note("requestBytes", by: bytes.count) }
        script.onEOF = { connection, _ in
            connection.write(Array("response".utf8))
            connection.close(flushingOutput: true)
        }
        try await withServer(backend: backend, script: script) { running in
            let client = try TestClient(connectingTo: running.address)
            try client.send("request")
            client.shutdownWrite()
            #expect(try client.receiveString(exactly: 8) == "response")
            #expect(try client.receive().isEmpty, "FIN after the response")
            #expect(running.events.noteValue("requestBytes") == 7)
            #expect(await waitUntil { running.events.closedCount == 1 })
        }
    }

    @Test(arguments: IOBackendKind.allCases)
    func smallReadBoundStillDeliversEverything(backend: IOBackendKind) async throws {
        try await withServer(backend: backend, configure: {
            $0.readChunkBytes = 1024
            $0.maxReadBytesPerWakeup = 2048
        }) { running in
            let client = try TestClient(connectingTo: running.address)
            let payload = Self.pattern(count: 1_000_000)
            try client.send(payload)
            let echoed = try client.receive(exactly: payload.count)
            #expect(echoed == payload)
        }
    }

    /// 16 MiB of a 251-byte cycle (prime, so it never lines up with chunk sizes), built by doubling
    /// copies because per-byte loops are slow in debug builds.
    static let patternBytes: [UInt8] = {
        let total = 16 * 1024 * 1024
        return [UInt8](unsafeUninitializedCapacity: total) { buffer, count in
            for index in 0..<251 { buffer[index] = UInt8(index) }
            var filled = 251
            while filled < total {
                let copy = min(filled, total - filled)
                (buffer.baseAddress! + filled).update(from: buffer.baseAddress!, count: copy)
                filled += copy
            }
            count = total
        }
    }()

    static func pattern(count: Int) -> [UInt8] {
        Array(patternBytes[0..<count])
    }

    static func matchesPattern(_ chunk: [UInt8], at offset: Int) -> Bool {
        guard offset + chunk.count <= patternBytes.count else { return false }
        return chunk.withUnsafeBytes { received in
            patternBytes.withUnsafeBytes { expected in
                memcmp(received.baseAddress!, expected.baseAddress! + offset, chunk.count) == 0
            }
        }
    }
}
