import CNGHTTP2
import HTTP2
import Testing
import TestSupport

@Suite struct HTTP2SessionTests {
    @Test func requestWithBodyIsAnsweredWithBodyAndTrailers() {
        let client = HTTP2TestClient()
        let server = HTTP2Session()
        let id = client.request(path: "/svc/Export?x=1", headers: [("content-type", "application/grpc"), ("te", "trailers")], body: Array("hello".utf8))
        var events: [HTTP2Event] = []
        var body: [UInt8] = []
        exchange(client, server) { event in
            events.append(event)
            switch event {
            case .data(let stream, let bytes):
                body += bytes
                server.consume(streamID: stream, byteCount: bytes.count)
            case .end(let stream):
                server.respond(
                    streamID: stream, status: 200, headers: [HTTP2HeaderField("content-type", "application/grpc")],
                    body: [0, 0, 0, 0, 1, 42], trailers: [HTTP2HeaderField("grpc-status", "0")]
                )
            default:
                break
            }
        }
        let head = events.heads[id]
        #expect(head?.method == "POST")
        #expect(head?.path == "/svc/Export?x=1")
        #expect(head?.scheme == "http")
        #expect(head?.authority == "localhost")
        #expect(head?["content-type"] == "application/grpc")
        #expect(head?["te"] == "trailers")
        #expect(body == Array("hello".utf8))
        #expect(events.contains(.closed(streamID: id, errorCode: .noError)))
        let answer = client.streams[id]
        #expect(answer?.status == "200")
        #expect(answer?.body == [0, 0, 0, 0, 1, 42])
        #expect(answer?.trailers.map { "\($0.0)=\($0.1)" } == ["grpc-status=0"])
        #expect(answer?.closedWith == 0)
        #expect(server.openStreamCount == 0)
    }

    @Test func headersOnlyAnswerEndsTheStreamInOneFrame() {
        let client = HTTP2TestClient()
        let server = HTTP2Session()
        let id = client.request(method: "GET", path: "/healthz")
        exchange(client, server) { event in
            if case .end(let stream) = event {
                server.respond(streamID: stream, status: 200, headers: [HTTP2HeaderField("grpc-status", "16")])
            }
        }
        #expect(client.streams[id]?.headers.contains { $0 == ("grpc-status", "16") } == true)
        #expect(client.streams[id]?.body.isEmpty == true)
        #expect(client.streams[id]?.trailers.isEmpty == true)
        #expect(client.streams[id]?.closedWith == 0)
    }

    @Test func answersForUnknownOrAnsweredStreamsAreDropped() {
        let client = HTTP2TestClient()
        let server = HTTP2Session()
        let id = client.request(method: "GET", path: "/")
        exchange(client, server) { event in
            if case .end(let stream) = event {
                #expect(server.respond(streamID: stream, status: 204))
                #expect(!server.respond(streamID: stream, status: 500))
            }
        }
        #expect(!server.respond(streamID: id, status: 200))
        #expect(!server.respond(streamID: 99, status: 200))
        #expect(client.streams[id]?.status == "204")
    }

    @Test func manyConcurrentStreamsOnOneConnectionAreAnsweredOutOfOrder() {
        let client = HTTP2TestClient()
        let server = HTTP2Session(limits: HTTP2Limits(maxConcurrentStreams: 100))
        // Let the client learn the server's SETTINGS first, as a real client does.
        exchange(client, server)
        var ids: [Int32] = []
        for index in 0..<100 {
            ids.append(client.request(path: "/\(index)", body: Array("body \(index)".utf8)))
        }
        var bodies: [Int32: [UInt8]] = [:]
        var ended: [Int32] = []
        var heads: [Int32: HTTP2RequestHead] = [:]
        exchange(client, server) { event in
            switch event {
            case .head(let id, let head): heads[id] = head
            case .data(let id, let bytes):
                bodies[id, default: []] += bytes
                server.consume(streamID: id, byteCount: bytes.count)
            case .end(let id): ended.append(id)
            default: break
            }
        }
        #expect(ended.count == 100)
        #expect(server.openStreamCount == 100)
        for id in ended.reversed() {
            server.respond(streamID: id, status: 200, body: Array(heads[id]!.path.utf8) + bodies[id]!)
        }
        exchange(client, server)
        for (index, id) in ids.enumerated() {
            #expect(client.streams[id]?.status == "200")
            #expect(client.streams[id]?.body == Array("/\(index)body \(index)".utf8))
        }
        #expect(server.openStreamCount == 0)
    }

    @Test func streamsBeyondTheConcurrencyLimitAreRefused() {
        let client = HTTP2TestClient()
        let server = HTTP2Session(limits: HTTP2Limits(maxConcurrentStreams: 10))
        // The client sends before it has seen the server's SETTINGS: all 15 go out.
        let ids = (0..<15).map { _ in client.openStream() }
        var heads = 0
        exchange(client, server) { event in
            if case .head = event { heads += 1 }
        }
        #expect(heads == 10)
        let refused = ids.filter { client.streams[$0]?.resetByServer == NGHTTP2_REFUSED_STREAM.rawValue }
        #expect(refused == Array(ids.suffix(5)))
        #expect(server.openStreamCount == 10)
    }

    @Test func flowControlHoldsA4MBExportUntilTheLayerAboveTakesIt() {
        let limits = HTTP2Limits(maxFrameBytes: 16_384, initialStreamWindowBytes: 1 << 20, connectionWindowBytes: 2 << 20)
        let client = HTTP2TestClient()
        let server = HTTP2Session(limits: limits)
        exchange(client, server)
        let export = (0..<4_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 12) }
        let id = client.request(path: "/v1/traces", body: export)

        // Nothing consumed: the client stops at the stream window.
        var received: [UInt8] = []
        var pending = 0
        exchange(client, server) { event in
            if case .data(_, let bytes) = event {
                received += bytes
                pending += bytes.count
            }
        }
        #expect(received.count == limits.initialStreamWindowBytes)

        // Consuming opens the windows again, a piece at a time, until the whole export is in.
        var ended = false
        var rounds = 0
        while !ended && rounds < 1_000 {
            rounds += 1
            server.consume(streamID: id, byteCount: pending)
            pending = 0
            exchange(client, server) { event in
                switch event {
                case .data(_, let bytes):
                    received += bytes
                    pending += bytes.count
                case .end: ended = true
                default: break
                }
            }
        }
        #expect(ended)
        #expect(received == export)
        #expect(rounds > 1)
    }

    @Test func aPingComesBack() {
        let client = HTTP2TestClient()
        let server = HTTP2Session()
        exchange(client, server)
        server.sendPing()
        var events: [HTTP2Event] = []
        exchange(client, server) { events.append($0) }
        #expect(events == [.pingAcknowledged])
    }
}
