import HTTP1
import Locking
import Logging
import Testing
@testable import HTTPServer

/// What the server hands an observer that describes requests (self-telemetry): one record per answer,
/// with the route, the head, the route's observation, the connection's reuse and timings that add up.
@Suite struct RequestRecordTests {
    final class Recorder: HTTPServerObserver, Sendable {
        struct NoSeries: RequestSeries {
            func record(duration: Duration, wireBytes: Int) {}
        }

        let records = Lock<[RequestRecord]>([])
        let describes: Bool
        init(describes: Bool) { self.describes = describes }

        func requestSeries(route: String, method: HTTPMethod, status: Int, protocolVersion: HTTPProtocolVersion) -> any RequestSeries {
            NoSeries()
        }
        var describesRequests: Bool { describes }
        func requestAnswered(_ record: RequestRecord) { records.withLock { $0.append(record) } }
        var all: [RequestRecord] { records.withLock { $0 } }
    }

    static let servers = Lock<[Server]>([])
    static let pending = Lock<[PendingResponse]>([])

    private func makeConnection(_ recorder: Recorder) -> (HTTPConnection, FakeTransport) {
        let router = Router([
            Route(.post, "/1/batch/{dataset}") { request in
                var response = HTTPResponse.json(.ok, Array("[]".utf8))
                response.observation = "facts for \(request.parameters["dataset"] ?? "")"
                return .now(response)
            },
            Route(.post, "/later") { _ in
                let pending = PendingResponse()
                Self.pending.withLock { $0.append(pending) }
                return .later(pending)
            },
        ])
        let server = Server(configuration: ServerConfiguration(), router: router, observer: recorder, logger: Logger(label: "test"))
        Self.servers.withLock { $0.append(server) }
        let connection = HTTPConnection(server: server)
        let transport = FakeTransport()
        connection.opened(transport)
        return (connection, transport)
    }

    private func send(_ connection: HTTPConnection, _ text: String) {
        Array(text.utf8).withUnsafeBytes { connection.received($0) }
    }

    @Test func everyAnswerIsRecordedWithItsRouteHeadObservationAndConnectionReuse() throws {
        let recorder = Recorder(describes: true)
        let (connection, _) = makeConnection(recorder)
        let request = "POST /1/batch/orders HTTP/1.1\r\nHost: x\r\nUser-Agent: libhoney-go/1.4\r\nContent-Length: 2\r\n\r\n[]"
        send(connection, request)
        send(connection, "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n")
        let records = recorder.all
        try #require(records.count == 2)
        #expect(records[0].route == "/1/batch/{dataset}")
        #expect(records[0].method == .post)
        #expect(records[0].status == 200)
        #expect(records[0].protocolVersion == .http1_1 && !records[0].isGRPC)
        #expect(records[0].head?.headers["User-Agent"] == "libhoney-go/1.4")
        #expect(records[0].observation as? String == "facts for orders")
        #expect(records[0].wireBytes == request.utf8.count)
        #expect(records[0].requestOnConnection == 1, "the first request is a new connection's")
        #expect(records[1].route == "NotFound" && records[1].status == 404)
        #expect(records[1].observation == nil)
        #expect(records[1].requestOnConnection == 2, "the second reuses it")
        for record in records {
            #expect(record.readDuration + record.handleDuration + record.writeDuration == record.duration)
            #expect(record.readDuration >= .zero && record.handleDuration >= .zero && record.writeDuration >= .zero)
        }
    }

    @Test func aLaterAnswerIsRecordedWhenWrittenWithTheWaitInItsHandleTime() throws {
        let recorder = Recorder(describes: true)
        let (connection, transport) = makeConnection(recorder)
        send(connection, "POST /later HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        let dispatched = ContinuousClock.now
        #expect(recorder.all.isEmpty, "nothing is recorded before the answer")
        let pending = try #require(Self.pending.withLock { $0.popLast() })
        pending.complete { .json(.accepted, Array("{}".utf8)) }
        let answered = ContinuousClock.now
        transport.runLaneWork()
        let record = try #require(recorder.all.first)
        #expect(record.status == 202)
        // The request was complete before `dispatched`; its answer was written after `answered`.
        #expect(record.handleDuration >= answered - dispatched)
    }

    @Test func parseErrorsAreRecordedToo() throws {
        let recorder = Recorder(describes: true)
        let (connection, _) = makeConnection(recorder)
        send(connection, "BROKEN\r\n\r\n")
        let record = try #require(recorder.all.first)
        #expect(record.route == "BadRequest" && record.status == 400)
    }

    @Test func nothingIsRecordedForAnObserverThatDoesNotDescribeRequests() {
        let recorder = Recorder(describes: false)
        let (connection, transport) = makeConnection(recorder)
        send(connection, "POST /1/batch/orders HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n[]")
        #expect(transport.takeOutput().hasPrefix("HTTP/1.1 200 OK"))
        #expect(recorder.all.isEmpty)
    }
}
