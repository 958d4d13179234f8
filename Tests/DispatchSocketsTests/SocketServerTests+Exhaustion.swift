@testable import DispatchSockets
import TestSupport
import Glibc
import Testing

extension SocketServerTests {
    /// Off by default: it lowers RLIMIT_NOFILE for the whole test process for about half a second,
    /// which would break other suites running in parallel. Run with KELPIE_RLIMIT_TESTS=1.
    @Test(.enabled(if: getenv("KELPIE_RLIMIT_TESTS") != nil, "lowers RLIMIT_NOFILE process-wide"),
          arguments: IOBackendKind.allCases)
    func descriptorExhaustionBacksOffInsteadOfSpinningThenRecovers(backend: IOBackendKind) async throws {
        try await withServer(backend: backend, configure: { $0.timerTick = .milliseconds(20) }) { running in
            let clients = try (0..<3).map { _ in try TestClient(unconnectedFor: running.address) }
            var saved = rlimit()
            getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &saved)
            var fillers: [Int32] = []
            // Every descriptor number below the new soft limit is taken: accept4 gets EMFILE.
            var lowered = rlimit(rlim_cur: rlim_t(clients.last!.fileDescriptor + 1), rlim_max: saved.rlim_max)
            setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &lowered)
            while true {
                let fd = dup(clients[0].fileDescriptor)
                if fd < 0 { break }
                fillers.append(fd)
            }
            var connectError: (any Error)?
            do {
                for client in clients {
                    try client.connect()  // completes in the backlog; the server cannot accept it
                    try client.send("x")
                }
            } catch {
                connectError = error
            }
            usleep(400_000)
            let errorsWhileExhausted = running.server.acceptErrorCount
            let acceptedWhileExhausted = running.server.acceptedConnectionCount
            for fd in fillers { close(fd) }
            setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &saved)
            if let connectError { throw connectError }
            print("[\(backend)] accept errors during 400 ms of EMFILE: \(errorsWhileExhausted)")
            #expect(acceptedWhileExhausted == 0)
            #expect(errorsWhileExhausted >= 1)
            #expect(errorsWhileExhausted < 100, "backed off instead of spinning: \(errorsWhileExhausted) errors in 400 ms")
            for client in clients {
                #expect(try client.receiveString(exactly: 1) == "x", "served once descriptors are free again")
            }
        }
    }

    /// Deadlines are a stored instant per connection, scanned by the lane's tick: neither the
    /// connection nor its readiness channel holds a timer.
    @Test(arguments: IOBackendKind.allCases)
    func connectionsHoldNoTimerObjects(backend: IOBackendKind) async throws {
        var script = HandlerScript()
        script.onOpen = { connection, _ in connection.setDeadline(ContinuousClock.now.advanced(by: .seconds(60))) }
        try await withServer(backend: backend, script: script) { running in
            let client = try TestClient(connectingTo: running.address)
            #expect(await waitUntil { running.events.openedCount == 1 })
            let connection = try #require(running.events.openConnections().first)
            let channel: any ReadinessChannel = try #require(connection.channel)
            for subject in [Mirror(reflecting: connection), Mirror(reflecting: channel)] {
                #expect(subject.children.count >= 5, "reflection sees the stored properties")
                for child in subject.children {
                    let typeName = String(describing: type(of: child.value))
                    #expect(!typeName.contains("Timer"), "\(child.label ?? "?"): \(typeName)")
                }
            }
            #expect(String(describing: type(of: connection.deadline)) == "Optional<Instant>")
            client.close()
        }
    }
}
