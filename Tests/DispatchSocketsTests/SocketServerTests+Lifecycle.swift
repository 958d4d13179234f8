import DispatchSockets
import TestSupport
import Dispatch
import Glibc
import Testing

extension SocketServerTests {
    @Test(arguments: IOBackendKind.allCases)
    func twoThousandConnectionsLeakNoDescriptors(backend: IOBackendKind) async throws {
        let descriptorsBefore = try await descriptorBaseline()
        var leakCheck: DescriptorLeakCheck?
        try await withServer(backend: backend) { running in
            leakCheck = running.leakCheck
            for index in 0..<2000 {
                let client = try TestClient(connectingTo: running.address)
                try client.send([UInt8(truncatingIfNeeded: index)])
                #expect(try client.receive(exactly: 1) == [UInt8(truncatingIfNeeded: index)])
                client.close()
            }
            #expect(await waitUntil { running.events.closedCount == 2000 })
            #expect(running.server.openConnectionCount == 0)
            #expect(running.server.acceptedConnectionCount == 2000)
            let serverSockets = ProcessDescriptors.serverSockets(port: running.address.port)
            #expect(serverSockets.count == 1 && serverSockets[0].isListening, "only the listener is left")
        }
        await expectProcessDescriptorCountSettles(baseline: descriptorsBefore, leakCheck: try #require(leakCheck))
    }

    /// Client closes (FIN or RST) while the server writes; server closes while the client sends.
    @Test(arguments: IOBackendKind.allCases)
    func closesRacingActivityNeitherCrashNorLeak(backend: IOBackendKind) async throws {
        let descriptorsBefore = try await descriptorBaseline()
        var script = HandlerScript()
        script.onRead = { connection, bytes, _ in
            switch bytes.first {
            case UInt8(ascii: "W"), UInt8(ascii: "R"):
                connection.write([UInt8](repeating: 1, count: 512 * 1024))
                connection.write([UInt8](repeating: 2, count: 512 * 1024))
            case UInt8(ascii: "C"):
                connection.close(flushingOutput: false)
            default:
                connection.write(bytes)
            }
        }
        var leakCheck: DescriptorLeakCheck?
        try await withServer(backend: backend, script: script) { running in
            leakCheck = running.leakCheck
            let address = running.address
            let perWorker = 500
            let workers = 4
            let failures = ServerEvents()
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                for index in 0..<perWorker {
                    do {
                        let client = try TestClient(connectingTo: address, timeout: .seconds(2))
                        switch (worker + index) % 3 {
                        case 0:  // server writes 1 MB; client reads a little and closes with data unread
                            try client.send("W")
                            _ = try client.receive(maxCount: 1000)
                            client.close()
                        case 1:  // client resets the connection while the server is writing
                            try client.send("R")
                            client.setResetOnClose()
                            client.close()
                        default:  // server closes while the client keeps sending
                            try client.send("C")
                            let chunk = [UInt8](repeating: 3, count: 16 * 1024)
                            for _ in 0..<20 {
                                do { try client.send(chunk) } catch { break }
                            }
                            client.close()
                        }
                    } catch {
                        failures.note("clientError")
                    }
                }
            }
            #expect(failures.noteValue("clientError") == 0)
            let total = workers * perWorker
            #expect(await waitUntil { running.events.closedCount == total },
                    "closed \(running.events.closedCount) of \(total)")
            #expect(running.server.acceptedConnectionCount == UInt64(total))
            #expect(ProcessDescriptors.serverSockets(port: address.port).filter { !$0.isListening }.isEmpty)
            // The server still works afterwards.
            let client = try TestClient(connectingTo: address)
            try client.send("still alive")
            #expect(try client.receiveString(exactly: 11) == "still alive")
        }
        await expectProcessDescriptorCountSettles(baseline: descriptorsBefore, leakCheck: try #require(leakCheck))
    }

    /// The server closes a connection (with and without a write source) and new connections take
    /// its descriptor number at once; data must still flow on them.
    @Test(arguments: IOBackendKind.allCases)
    func reusedDescriptorNumbersStillCarryData(backend: IOBackendKind) async throws {
        var script = HandlerScript()
        script.onRead = { connection, bytes, _ in
            let text = String(decoding: bytes, as: UTF8.self)
            if text.hasSuffix("close") {
                connection.close(flushingOutput: false)
            } else if text.hasSuffix("big") {
                connection.write([UInt8](repeating: 9, count: 4 * 1024 * 1024))  // leaves output pending
            } else {
                connection.write(bytes)
            }
        }
        try await withServer(backend: backend, script: script) { running in
            let port = running.address.port
            var reuses = 0
            for round in 0..<150 {
                let first = try TestClient(connectingTo: running.address)
                try first.send("ping")
                #expect(try first.receiveString(exactly: 4) == "ping")
                let closedFD = try #require(ProcessDescriptors.serverDescriptor(serverPort: port, clientPort: first.localPort))
                if round % 2 == 1 {
                    try first.send("big")
                    try await Task.sleep(for: .milliseconds(2))
                }
                // Take the client descriptors now, so the number the server frees is the lowest
                // free one when it accepts the next connections.
                let next = try (0..<2).map { _ in try TestClient(unconnectedFor: running.address) }
                try first.send("close")
                _ = try? first.receiveUntilEOF()
                for client in next {
                    try client.connect()
                    try client.send("data")
                    #expect(try client.receiveString(exactly: 4) == "data")
                    if ProcessDescriptors.serverDescriptor(serverPort: port, clientPort: client.localPort) == closedFD {
                        reuses += 1
                    }
                }
                for client in next { client.close() }
                first.close()
            }
            #expect(reuses >= 50, "descriptor numbers were reused \(reuses) times")
        }
    }

    @Test(arguments: IOBackendKind.allCases)
    func connectionCapHoldsTheNextConnectionInTheBacklog(backend: IOBackendKind) async throws {
        try await withServer(backend: backend, configure: { $0.maxConnections = 2 }) { running in
            let first = try TestClient(connectingTo: running.address)
            let second = try TestClient(connectingTo: running.address)
            for client in [first, second] {
                try client.send("up")
                #expect(try client.receiveString(exactly: 2) == "up")
            }
            let third = try TestClient(connectingTo: running.address)  // completes in the backlog
            try third.send("waiting")
            #expect(third.staysSilent(for: .milliseconds(400)), "not served while at the cap")
            #expect(running.server.openConnectionCount == 2)
            #expect(running.server.acceptedConnectionCount == 2)
            first.close()
            #expect(try third.receiveString(exactly: 7) == "waiting")
            #expect(running.server.acceptedConnectionCount == 3)
            #expect(running.server.openConnectionCount == 2)
        }
    }

    @Test(arguments: IOBackendKind.allCases)
    func stopAcceptingRefusesNewConnectionsButKeepsExistingOnes(backend: IOBackendKind) async throws {
        try await withServer(backend: backend) { running in
            let existing = try TestClient(connectingTo: running.address)
            try existing.send("a")
            #expect(try existing.receiveString(exactly: 1) == "a")
            running.server.stopAccepting()
            #expect(throws: TestClientError.system("connect", ECONNREFUSED)) {
                _ = try TestClient(connectingTo: running.address)
            }
            try existing.send("still here")
            #expect(try existing.receiveString(exactly: 10) == "still here")
            running.server.stopAccepting()  // idempotent
        }
    }

    @Test(arguments: IOBackendKind.allCases)
    func forEachConnectionVisitsEveryOpenConnectionOnItsLane(backend: IOBackendKind) async throws {
        try await withServer(backend: backend) { running in
            let clients = try (0..<6).map { _ in try TestClient(connectingTo: running.address) }
            #expect(await waitUntil { running.events.openedCount == 6 })
            running.server.forEachConnection { connection in
                connection.write(Array("bye".utf8))  // lane-only API: traps off the lane in debug builds
                connection.close(flushingOutput: true)
            }
            for client in clients {
                #expect(try client.receiveString(exactly: 3) == "bye")
                #expect(try client.receive().isEmpty)
                client.close()
            }
            #expect(await waitUntil { running.events.closedCount == 6 })
        }
    }

    @Test(arguments: IOBackendKind.allCases)
    func shutdownClosesEveryDescriptor(backend: IOBackendKind) async throws {
        let descriptorsBefore = try await descriptorBaseline()
        let events = ServerEvents()
        var script = HandlerScript()
        script.onRead = { connection, _, _ in
            connection.write([UInt8](repeating: 5, count: 8 * 1024 * 1024))  // stays pending
        }
        let configuration = SocketServerConfiguration(host: "127.0.0.1", port: 0, backend: backend, laneCount: 2)
        let finalScript = script
        let server = SocketServer(configuration: configuration) { _ in ScriptedHandler(events: events, script: finalScript) }
        let address = try server.start()
        let leakCheck = DescriptorLeakCheck(server: server, port: address.port)
        #expect(leakCheck.trackedLaneDescriptorCount == (backend == .epoll ? 4 : 0), "epoll and eventfd per lane")
        let clients = try (0..<20).map { _ in try TestClient(connectingTo: address) }
        try clients[0].send("fill")
        #expect(await waitUntil { events.openedCount == 20 })
        #expect(await shutDown(server))
        #expect(events.closedCount == 20)
        #expect(server.openConnectionCount == 0)
        #expect(leakCheck.leaks().isEmpty, "completion comes after every descriptor is closed: \(leakCheck.leaks())")
        for client in clients {
            var sawEnd = false
            do { _ = try client.receiveUntilEOF(); sawEnd = true } catch TestClientError.connectionReset { sawEnd = true }
            #expect(sawEnd)
        }
        #expect(throws: TestClientError.system("connect", ECONNREFUSED)) {
            _ = try TestClient(connectingTo: address)
        }
        for client in clients { client.close() }
        await expectProcessDescriptorCountSettles(baseline: descriptorsBefore, leakCheck: leakCheck)
        #expect(await shutDown(server), "a second shutdown completes too")
    }

    @Test(arguments: IOBackendKind.allCases)
    func peerResetWhileOutputIsPendingClosesCleanly(backend: IOBackendKind) async throws {
        var script = HandlerScript()
        script.onOpen = { connection, _ in
            connection.write([UInt8](repeating: 4, count: 8 * 1024 * 1024))
        }
        try await withServer(backend: backend, script: script) { running in
            let client = try TestClient(connectingTo: running.address)
            _ = try client.receive(maxCount: 4096)
            #expect(await waitUntil { running.server.openConnectionCount == 1 })
            client.setResetOnClose()
            client.close()
            #expect(await waitUntil { running.events.closedCount == 1 })
            #expect(running.server.openConnectionCount == 0)
        }
    }

    @Test(arguments: IOBackendKind.allCases)
    func startTwiceAndBadConfigurationAreTypedErrors(backend: IOBackendKind) async throws {
        try await withServer(backend: backend) { running in
            #expect(throws: SocketError.alreadyStarted) { _ = try running.server.start() }
        }
        let bad = SocketServer(configuration: .init(host: "127.0.0.1", backend: backend, laneCount: 0)) { _ in
            ScriptedHandler(events: ServerEvents(), script: .echo)
        }
        #expect(throws: SocketError.self) { _ = try bad.start() }
        let badHost = SocketServer(configuration: .init(host: "localhost", backend: backend)) { _ in
            ScriptedHandler(events: ServerEvents(), script: .echo)
        }
        #expect(throws: SocketError.invalidAddress("localhost")) { _ = try badHost.start() }
        #expect(await shutDown(badHost))
        #expect(await shutDown(bad))
    }
}
