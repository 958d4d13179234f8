import HTTP1
import Locking
import Logging
import Testing
@testable import HTTPServer

/// `HTTPConnection` against fake transports sharing one small memory budget: bodies are charged as they
/// arrive, a spent budget stops reading mid-body, a release elsewhere resumes it, and a wait that runs out is
/// answered 503 with `Retry-After`.
@Suite struct HTTPConnectionBudgetTests {
    private static let servers = Lock<[Server]>([])

    /// A server whose budget holds `limit` bytes (overdraft allowance: one eighth, at least `grant`).
    private func makeServer(limit: Int, grant: Int = 100) -> Server {
        let router = Router([
            Route(.post, "/echo") { request in .now(HTTPResponse(status: .ok, body: Array("\(request.body.count)".utf8))) },
        ])
        var configuration = ServerConfiguration()
        configuration.timeouts.inflightWait = .seconds(5)
        let server = Server(
            configuration: configuration, router: router, memoryBudget: MemoryBudget(limitBytes: limit, grantBytes: grant),
            logger: Logger(label: "test")
        )
        Self.servers.withLock { $0.append(server) }
        return server
    }

    private func open(_ server: Server) -> (HTTPConnection, FakeTransport) {
        let connection = HTTPConnection(server: server)
        let transport = FakeTransport()
        connection.opened(transport)
        return (connection, transport)
    }

    private func send(_ connection: HTTPConnection, _ text: String) {
        Array(text.utf8).withUnsafeBytes { connection.received($0) }
    }

    private func head(_ length: Int) -> String {
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: \(length)\r\n\r\n"
    }

    @Test func bodyBytesAreChargedAsTheyArriveAndReleasedOnceAnswered() {
        let server = makeServer(limit: 1000)
        let (connection, transport) = open(server)
        send(connection, head(600) + String(repeating: "a", count: 250))
        #expect(server.memoryBudget.bytesInUse == 250, "only what arrived, not the declared length")
        send(connection, String(repeating: "a", count: 350))
        #expect(transport.takeOutput().hasSuffix("\r\n\r\n600"))
        #expect(server.memoryBudget.bytesInUse == 0)
        #expect(!transport.isPaused)
    }

    @Test func aSpentBudgetStopsReadingMidBodyAndAReleaseElsewhereResumesIt() {
        let server = makeServer(limit: 1000)
        let (holder, holderTransport) = open(server)
        let (waiter, waiterTransport) = open(server)
        send(holder, head(750) + String(repeating: "h", count: 700))
        send(waiter, head(500) + String(repeating: "w", count: 350))
        #expect(server.memoryBudget.bytesInUse == 1050, "the bytes in hand are kept (overdraft)")
        #expect(waiterTransport.isPaused, "reading stopped mid-body")
        #expect(server.memoryBudget.waitingCount == 1)
        #expect(waiterTransport.state.withLock { $0.deadline } != nil)

        // The holder's body completes: its 750 bytes come back, and the waiter is woken on its lane.
        send(holder, String(repeating: "h", count: 50))
        #expect(holderTransport.takeOutput().hasSuffix("\r\n\r\n750"))
        #expect(!holderTransport.isPaused, "over the limit, but the request completed: nothing to wait for")
        #expect(waiterTransport.queuedLaneWork == 1)
        waiterTransport.runLaneWork()
        #expect(!waiterTransport.isPaused, "reading resumed")
        send(waiter, String(repeating: "w", count: 150))
        #expect(waiterTransport.takeOutput().hasSuffix("\r\n\r\n500"))
        #expect(server.memoryBudget.bytesInUse == 0)
    }

    @Test func aWaitThatRunsOutIsAnswered503WithRetryAfterAndTheBytesComeBack() {
        let server = makeServer(limit: 1000)
        let (holder, _) = open(server)
        let (waiter, waiterTransport) = open(server)
        send(holder, head(2000) + String(repeating: "h", count: 1000))
        send(waiter, head(500) + String(repeating: "w", count: 100))
        #expect(waiterTransport.isPaused)
        waiter.deadlineExpired()
        let output = waiterTransport.takeOutput()
        #expect(output.hasPrefix("HTTP/1.1 503 "))
        #expect(output.contains("Retry-After: 1\r\n"))
        #expect(output.lowercased().contains("connection: close"))
        #expect(waiterTransport.closedFlushing == true)
        #expect(server.memoryBudget.bytesInUse == 1000, "the waiter's 100 bytes were given back")
        #expect(server.memoryBudget.waitingCount == 0)
        holder.closed()
        #expect(server.memoryBudget.bytesInUse == 0, "a closed connection gives its bytes back")
    }

    @Test func pastTheOverdraftAllowanceARequestIsRefusedAtOnce() {
        let server = makeServer(limit: 1000)
        let (holder, _) = open(server)
        let (late, lateTransport) = open(server)
        send(holder, head(2000) + String(repeating: "h", count: 1100))
        send(late, head(500) + String(repeating: "w", count: 200))
        let output = lateTransport.takeOutput()
        #expect(output.hasPrefix("HTTP/1.1 503 "))
        #expect(output.contains("Retry-After: 1\r\n"))
        #expect(lateTransport.closedFlushing == true)
        #expect(server.memoryBudget.bytesInUse == 1100)
        holder.closed()
        #expect(server.memoryBudget.bytesInUse == 0)
    }

    @Test func aClosedWaiterIsNotWokenAndHoldsNothing() {
        let server = makeServer(limit: 1000)
        let (holder, _) = open(server)
        let (waiter, waiterTransport) = open(server)
        send(holder, head(2000) + String(repeating: "h", count: 1000))
        send(waiter, head(500) + String(repeating: "w", count: 50))
        #expect(server.memoryBudget.waitingCount == 1)
        waiter.closed()
        #expect(server.memoryBudget.waitingCount == 0)
        holder.closed()
        #expect(waiterTransport.queuedLaneWork == 0)
        #expect(server.memoryBudget.bytesInUse == 0)
    }
}
