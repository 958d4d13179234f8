import DispatchSockets
import TestSupport
import Synchronization
import Testing

/// A started server plus what its handlers saw.
struct RunningServer {
    let server: SocketServer
    let address: SocketAddress
    let events: ServerEvents
    let leakCheck: DescriptorLeakCheck
}

/// Shuts `server` down and waits (bounded) for its completion.
func shutDown(_ server: SocketServer, timeout: Duration = .seconds(10)) async -> Bool {
    let flag = FlagBox()
    server.shutdown { flag.set() }
    return await waitUntil(timeout: timeout) { flag.isSet }
}

final class FlagBox: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}

/// Starts a server with `script`, runs `body`, then shuts the server down and checks that every
/// opened connection was reported closed exactly once, nothing called back after close, and no
/// descriptor of the server (sockets on its port, its lanes' epoll/eventfd) is left open.
func withServer(
    backend: IOBackendKind,
    host: String = "127.0.0.1",
    script: HandlerScript = .echo,
    configure: (inout SocketServerConfiguration) -> Void = { _ in },
    _ body: (RunningServer) async throws -> Void
) async throws {
    var configuration = SocketServerConfiguration(host: host, port: 0, backend: backend, laneCount: 2)
    configure(&configuration)
    let events = ServerEvents()
    let server = SocketServer(configuration: configuration) { _ in ScriptedHandler(events: events, script: script) }
    let address = try server.start()
    let leakCheck = DescriptorLeakCheck(server: server, port: address.port)
    var bodyError: (any Error)?
    do {
        try await body(RunningServer(server: server, address: address, events: events, leakCheck: leakCheck))
    } catch {
        bodyError = error
    }
    #expect(await shutDown(server), "shutdown did not complete")
    #expect(events.closedCount == events.openedCount, "every opened connection reports connectionDidClose")
    #expect(events.read { $0.duplicateCloses } == 0)
    #expect(events.read { $0.callbacksAfterClose } == 0)
    #expect(server.openConnectionCount == 0)
    #expect(await waitUntil(timeout: .seconds(3)) { leakCheck.leaks().isEmpty }, "still open: \(leakCheck.leaks())")
    if let bodyError { throw bodyError }
}

/// This process's open descriptor count, after running one short server cycle per backend so that
/// descriptors the runtime opens once and keeps (libdispatch's own epoll fd and eventfd, created on
/// first use of a timer or source) are not mistaken for leaks. Other test targets running in the
/// same process change this count too, so tests assert on it only through
/// `expectProcessDescriptorCountSettles`, which treats a difference as a leak only when it is ours.
func descriptorBaseline() async throws -> Int {
    for backend in IOBackendKind.allCases {
        try await withServer(backend: backend) { running in
            let client = try TestClient(connectingTo: running.address)
            try client.send("warm")
            _ = try client.receive(exactly: 4)
            client.close()
            _ = await waitUntil { running.events.closedCount == 1 }
        }
    }
    return ProcessDescriptors.openCount()
}

/// The whole-process descriptor count (entries of /proc/self/fd) must come back to `baseline`.
/// When it does not, the difference is blamed on this test only if `leakCheck` finds descriptors
/// of this server still open; otherwise it is other suites running in parallel, and is reported.
func expectProcessDescriptorCountSettles(
    baseline: Int, leakCheck: DescriptorLeakCheck, sourceLocation: SourceLocation = #_sourceLocation
) async {
    // The check itself holds a duplicate of each lane descriptor it tracks.
    let expected = baseline + leakCheck.trackedLaneDescriptorCount
    let settled = await waitUntil(timeout: .seconds(3)) { ProcessDescriptors.openCount() <= expected }
    let ours = leakCheck.leaks()
    #expect(ours.isEmpty, "descriptors still open: \(ours)", sourceLocation: sourceLocation)
    if !settled && ours.isEmpty {
        print("note: process descriptors \(ProcessDescriptors.openCount()) vs expected \(expected), none of them this server's (other suites running in parallel)")
    }
}
