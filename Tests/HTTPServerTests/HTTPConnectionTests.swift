import HTTP1
import Locking
import Logging
import Testing
@testable import HTTPServer

/// `HTTPConnection` against a fake transport: parsing from received bytes, answers now and later, pipelining,
/// keep-alive and close, errors, drain. The end-to-end suites cover the same paths over real sockets.
@Suite struct HTTPConnectionTests {
    /// Answers handed out by the `/later` route, completed by the test.
    final class PendingAnswers: Sendable {
        let pending = Lock<[PendingResponse]>([])
        func take() -> PendingResponse? { pending.withLock { $0.isEmpty ? nil : $0.removeFirst() } }
    }

    let answers = PendingAnswers()

    private func makeConnection(_ configure: (inout ServerConfiguration) -> Void = { _ in }) -> (HTTPConnection, FakeTransport) {
        var configuration = ServerConfiguration()
        configure(&configuration)
        let answers = self.answers
        let router = Router([
            Route(.get, "/now") { _ in .now(.json(.ok, Array(#"{"ok":true}"#.utf8))) },
            Route(.post, "/echo") { request in .now(HTTPResponse(status: .ok, body: request.body)) },
            Route(.post, "/later") { _ in
                let pending = PendingResponse()
                answers.pending.withLock { $0.append(pending) }
                return .later(pending)
            },
        ])
        let server = Server(configuration: configuration, router: router, logger: Logger(label: "test"))
        let connection = HTTPConnection(server: server)
        let transport = FakeTransport()
        connection.opened(transport)
        // The driver holds the server unowned: keep it alive for the test.
        Self.servers.withLock { $0.append(server) }
        return (connection, transport)
    }

    private static let servers = Lock<[Server]>([])

    private func send(_ connection: HTTPConnection, _ text: String) {
        Array(text.utf8).withUnsafeBytes { connection.received($0) }
    }

    @Test func aRequestInOnePieceIsAnsweredAtOnceAndTheConnectionStaysOpen() {
        let (connection, transport) = makeConnection()
        send(connection, "GET /now HTTP/1.1\r\nHost: x\r\n\r\n")
        let output = transport.takeOutput()
        #expect(output.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(output.hasSuffix("\r\n\r\n{\"ok\":true}"))
        #expect(!output.lowercased().contains("connection: close"))
        #expect(transport.closedFlushing == nil)
        #expect(!transport.isPaused)
    }

    @Test func aRequestDripFedByteByByteIsAnsweredOnce() {
        let (connection, transport) = makeConnection()
        let request = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
        for byte in request.utf8 {
            #expect(transport.takeOutput().isEmpty, "no answer before the last byte")
            [byte].withUnsafeBytes { connection.received($0) }
        }
        let output = transport.takeOutput()
        #expect(output.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(output.hasSuffix("\r\n\r\nhello"))
    }

    @Test func pipelinedRequestsWaitForTheLaterAnswerAndComeOutInOrder() {
        let (connection, transport) = makeConnection()
        send(connection, "POST /later HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\nGET /now HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(transport.takeOutput().isEmpty, "the first answer is pending; the second request waits behind it")
        #expect(transport.isPaused)
        let pending = try! #require(answers.take())
        // Completed from another thread: only a hop to the lane, nothing written yet.
        pending.complete { .json(.accepted, Array("first".utf8)) }
        #expect(transport.queuedLaneWork == 1)
        #expect(transport.takeOutput().isEmpty)
        transport.runLaneWork()
        let output = transport.takeOutput()
        let responses = output.split(separator: "HTTP/1.1 ", omittingEmptySubsequences: true)
        #expect(responses.count == 2)
        #expect(responses.first?.hasPrefix("202 Accepted\r\n") == true)
        #expect(responses.first?.hasSuffix("first") == true)
        #expect(responses.last?.hasPrefix("200 OK\r\n") == true)
        #expect(responses.last?.hasSuffix("{\"ok\":true}") == true)
        #expect(!transport.isPaused)
    }

    @Test func aLaterAnswerIsWrittenOnTheLaneAndASecondCompletionIsIgnored() {
        let (connection, transport) = makeConnection()
        send(connection, "POST /later HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        let pending = try! #require(answers.take())
        pending.complete { .json(.ok, Array("done".utf8)) }
        transport.runLaneWork()
        #expect(transport.takeOutput().hasSuffix("done"))
        // A second completion of the same answer is ignored.
        pending.complete { .json(.ok, Array("again".utf8)) }
        transport.runLaneWork()
        #expect(transport.takeOutput().isEmpty)
    }

    @Test func connectionCloseIsHonouredAfterTheAnswer() {
        let (connection, transport) = makeConnection()
        send(connection, "GET /now HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(transport.takeOutput().lowercased().contains("connection: close"))
        #expect(transport.closedFlushing == true)
    }

    @Test func aMalformedRequestGets400AndTheConnectionCloses() {
        let (connection, transport) = makeConnection()
        send(connection, "GET /now HTTP/1.1\r\nHost x\r\n\r\n")
        let output = transport.takeOutput()
        #expect(output.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        #expect(transport.closedFlushing == true)
        // Bytes after the error are ignored.
        send(connection, "GET /now HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(transport.takeOutput().isEmpty)
    }

    @Test func aBodyOverTheLimitGets413BeforeItIsRead() {
        let (connection, transport) = makeConnection { $0.parserLimits.maxBodyBytes = 10 }
        send(connection, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n")
        #expect(transport.takeOutput().hasPrefix("HTTP/1.1 413 "))
        #expect(transport.closedFlushing == true)
    }

    @Test func unknownPathAndWrongMethodAreAnsweredAndTheConnectionGoesOn() {
        let (connection, transport) = makeConnection()
        send(connection, "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\nDELETE /now HTTP/1.1\r\nHost: x\r\n\r\n")
        let output = transport.takeOutput()
        #expect(output.hasPrefix("HTTP/1.1 404 Not Found\r\n"))
        #expect(output.contains("HTTP/1.1 405 Method Not Allowed\r\n"))
        #expect(output.contains("Allow: GET"))
        #expect(transport.closedFlushing == nil)
    }

    @Test func drainAnswersTheNextRequestWithConnectionCloseThenCloses() {
        let (connection, transport) = makeConnection()
        connection.drain()
        #expect(transport.closedFlushing == nil, "an idle connection waits for its next request")
        send(connection, "GET /now HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(transport.takeOutput().lowercased().contains("connection: close"))
        #expect(transport.closedFlushing == true)
    }

    @Test func thePeersEndWhileIdleClosesTheConnection() {
        let (connection, transport) = makeConnection()
        connection.readEOF()
        #expect(transport.closedFlushing != nil)
    }
}
