import Locking
@testable import DispatchSockets
import TestSupport
import Glibc
import Testing

extension SocketServerTests {
    @Test(arguments: IOBackendKind.allCases)
    func inputSentWhilePausedArrivesAfterResume(backend: IOBackendKind) async throws {
        var script = HandlerScript()
        script.onOpen = { connection, _ in connection.pauseReading() }
        try await withServer(backend: backend, script: script) { running in
            let client = try TestClient(connectingTo: running.address)
            try client.send("early")
            #expect(client.staysSilent(for: .milliseconds(300)))
            #expect(running.events.read { $0.bytesRead } == 0)
            let connection = try #require(running.events.openConnections().first)
            connection.execute { connection.resumeReading() }
            #expect(try client.receiveString(exactly: 5) == "early")
        }
    }

    /// Pausing inside didRead while more input arrives: the edge that comes while paused must not
    /// be lost (edge-triggered epoll has to re-read on resume).
    @Test(arguments: IOBackendKind.allCases)
    func pauseAfterFirstReadThenResumeDeliversLaterInput(backend: IOBackendKind) async throws {
        var script = HandlerScript()
        script.onRead = { connection, bytes, _ in
            connection.write(bytes)
            connection.pauseReading()
        }
        try await withServer(backend: backend, script: script) { running in
            let client = try TestClient(connectingTo: running.address)
            try client.send("a")
            #expect(try client.receiveString(exactly: 1) == "a")
            try client.send("bcd")
            #expect(client.staysSilent(for: .milliseconds(300)))
            let connection = try #require(running.events.openConnections().first)
            connection.execute { connection.resumeReading() }
            #expect(try client.receiveString(exactly: 3) == "bcd")
        }
    }

    /// Pausing in the middle of input already in the kernel (no new edge will come): resuming must
    /// still deliver the rest.
    @Test(arguments: IOBackendKind.allCases)
    func pauseMidBufferThenResumeDeliversTheRest(backend: IOBackendKind) async throws {
        var script = HandlerScript()
        script.onRead = { connection, bytes, events in
            events.note("reads")
            connection.write(bytes)
            connection.pauseReading()
        }
        try await withServer(backend: backend, script: script, configure: { $0.readChunkBytes = 4 }) { running in
            let client = try TestClient(connectingTo: running.address)
            try client.send("aaaabbbbcccc")
            #expect(try client.receiveString(exactly: 4) == "aaaa")
            #expect(client.staysSilent(for: .milliseconds(200)))
            let connection = try #require(running.events.openConnections().first)
            for expected in ["bbbb", "cccc"] {
                connection.execute { connection.resumeReading() }
                #expect(try client.receiveString(exactly: 4) == expected)
            }
            #expect(running.events.noteValue("reads") == 3)
        }
    }

    @Test(arguments: IOBackendKind.allCases)
    func deadlineFiresWithinAboutATickWithoutPerConnectionTimers(backend: IOBackendKind) async throws {
        let tick = Duration.milliseconds(50)
        let deadlines = Lock<[UInt64: ContinuousClock.Instant]>([:])
        var script = HandlerScript()
        script.onOpen = { connection, _ in
            // The first connection gets a later deadline and clears it before it passes.
            let delay: Duration = connection.id == 1 ? .milliseconds(600) : .milliseconds(100)
            let deadline = ContinuousClock.now.advanced(by: delay)
            deadlines.withLock { $0[connection.id] = deadline }
            connection.setDeadline(deadline)
        }
        script.onRead = { connection, bytes, _ in
            if bytes == Array("clear".utf8) { connection.setDeadline(nil) }
            connection.write(bytes)
        }
        try await withServer(backend: backend, script: script, configure: { $0.timerTick = tick }) { running in
            let clearing = try TestClient(connectingTo: running.address)
            try clearing.send("clear")
            #expect(try clearing.receiveString(exactly: 5) == "clear")
            let openedAt = ContinuousClock.now
            // 199 more connections share the same per-lane tick.
            let clients = try (0..<199).map { _ in try TestClient(connectingTo: running.address) } + [clearing]
            #expect(await waitUntil { running.events.read { $0.deadlineExpirations.count } == 199 })
            // Past the cleared connection's original deadline by several ticks.
            try await Task.sleep(until: openedAt.advanced(by: .milliseconds(900)))
            let expirations = running.events.read { $0.deadlineExpirations }
            #expect(expirations.count == 199, "each deadline fires once; the cleared one never")
            let set = deadlines.withLock { $0 }
            var worstLateness = Duration.zero
            for (id, firedAt) in expirations {
                let deadline = try #require(set[id])
                #expect(firedAt >= deadline, "never early")
                worstLateness = max(worstLateness, firedAt - deadline)
            }
            // A functional bound (not a benchmark): fired by the tick, not by something much later.
            #expect(worstLateness < .seconds(1), "worst lateness \(worstLateness) with tick \(tick)")
            print("[\(backend)] deadline worst lateness: \(worstLateness) (tick \(tick))")
            #expect(await waitUntil { running.events.closedCount == 199 }, "the default script closes on expiry")
            for client in clients { client.close() }
        }
    }

    @Test(arguments: IOBackendKind.allCases)
    func executeFromAnotherThreadRunsOnTheLanePromptly(backend: IOBackendKind) async throws {
        // A 10 s tick: if execute did not wake the epoll loop, the write would wait for the tick.
        try await withServer(backend: backend, configure: { $0.timerTick = .seconds(10) }) { running in
            let client = try TestClient(connectingTo: running.address)
            #expect(await waitUntil { running.events.openedCount == 1 })
            try await Task.sleep(for: .milliseconds(100))  // let the loop go back to sleep
            let connection = try #require(running.events.openConnections().first)
            for round in 0..<5 {
                let started = ContinuousClock.now
                connection.execute {
                    connection.write(Array("pushed \(round)".utf8))  // lane-only: traps off the lane in debug
                }
                #expect(try client.receiveString(exactly: 8) == "pushed \(round)")
                let elapsed = ContinuousClock.now - started
                #expect(elapsed < .seconds(2), "execute took \(elapsed)")
            }
        }
    }

    @Test(arguments: IOBackendKind.allCases)
    func heartbeatsAdvanceOnEveryLane(backend: IOBackendKind) async throws {
        try await withServer(backend: backend, configure: { $0.timerTick = .milliseconds(20); $0.laneCount = 3 }) { running in
            let first = running.server.laneHeartbeats()
            #expect(first.count == 3)
            #expect(await waitUntil {
                zip(running.server.laneHeartbeats(), first).allSatisfy { $0 > $1 }
            })
        }
    }
}
