import CNGHTTP2
import HTTP2
import Testing
import TestSupport

@Suite struct HTTP2DefenceTests {
    @Test func aBurstOfResetsIsAnsweredWithGoAwayEnhanceYourCalm() {
        let client = HTTP2TestClient()
        let server = HTTP2Session(limits: HTTP2Limits(streamResetBurst: 10, streamResetsPerSecond: 5))
        exchange(client, server)
        let ids = (0..<30).map { _ in client.openStream() }
        let opened = client.takeOutput()
        ids.forEach { client.reset($0) }
        server.receive(opened + client.takeOutput(), now: .now)
        let events = server.takeEvents()
        client.receive(server.takeOutput())
        #expect(events.failures == [.rapidReset])
        #expect(client.goAway?.errorCode == NGHTTP2_ENHANCE_YOUR_CALM.rawValue)
        #expect(server.isFinished)
    }

    @Test func resetsWithinTheRateAreServed() {
        let client = HTTP2TestClient()
        let server = HTTP2Session(limits: HTTP2Limits(streamResetBurst: 10, streamResetsPerSecond: 5))
        var now = ContinuousClock.now
        exchange(client, server, now: now)
        // 40 resets over 8 seconds: 5 a second, the sustained rate, never past the burst.
        for _ in 0..<8 {
            now += .seconds(1)
            let ids = (0..<5).map { _ in client.openStream() }
            let opened = client.takeOutput()
            ids.forEach { client.reset($0) }
            server.receive(opened + client.takeOutput(), now: now)
            #expect(server.takeEvents().failures.isEmpty)
            client.receive(server.takeOutput())
        }
        #expect(client.goAway == nil)
        let id = client.request(method: "GET", path: "/after")
        exchange(client, server, now: now) { event in
            if case .end(let stream) = event { server.respond(streamID: stream, status: 200) }
        }
        #expect(client.streams[id]?.status == "200")
    }

    @Test func anHPACKBombIsAnswered431AndTheConnectionStaysUsable() {
        let client = HTTP2TestClient()
        let server = HTTP2Session(limits: HTTP2Limits(maxHeaderListBytes: 16 * 1024))
        // Sent before the client has seen the server's SETTINGS (nghttp2's client would not send a list
        // over the announced size). One 2000-byte value enters the HPACK table once; 40 one-byte references decode to 81 KB.
        let big = String(repeating: "b", count: 2_000)
        let bomb = client.request(method: "GET", path: "/bomb", headers: Array(repeating: ("x-bomb", big), count: 40))
        let wire = client.takeOutput()
        #expect(wire.count < 4_000)
        server.receive(wire, now: .now)
        var events = server.takeEvents()
        exchange(client, server) { events.append($0) }
        #expect(events.heads.isEmpty)
        #expect(events.contains(.headerListTooLarge(streamID: bomb)))
        #expect(client.streams[bomb]?.status == "431")

        // The HPACK state stayed in step: the next request, reusing the table entry once, is served.
        let next = client.request(method: "GET", path: "/next", headers: [("x-bomb", big)])
        let reuse = client.takeOutput()
        #expect(reuse.count < 100)
        server.receive(reuse, now: .now)
        var head: HTTP2RequestHead?
        server.takeEvents().forEach { event in
            if case .head(_, let received) = event { head = received }
            if case .end(let stream) = event { server.respond(streamID: stream, status: 200) }
        }
        exchange(client, server) { event in
            if case .head(_, let received) = event { head = received }
            if case .end(let stream) = event { server.respond(streamID: stream, status: 200) }
        }
        #expect(head?["x-bomb"] == big)
        #expect(client.streams[next]?.status == "200")
    }

    @Test func aTruncatedFrameWaitsForTheRestAndIsThenRead() {
        let client = HTTP2TestClient()
        let server = HTTP2Session()
        exchange(client, server)
        let id = client.request(method: "GET", path: "/late", headers: [("x-one", "1")])
        let bytes = client.takeOutput()
        server.receive(Array(bytes.prefix(bytes.count - 3)), now: .now)
        #expect(server.takeEvents().isEmpty)
        #expect(!server.isFinished)
        server.receive(Array(bytes.suffix(3)), now: .now)
        let events = server.takeEvents()
        #expect(events.heads[id]?.path == "/late")
        #expect(events.ended == [id])
    }

    @Test func aFrameWithAnImpossibleLengthEndsTheConnectionWithGoAway() {
        let client = HTTP2TestClient()
        let server = HTTP2Session()
        exchange(client, server)
        // SETTINGS payloads are multiples of six bytes (RFC 9113 §6.5): FRAME_SIZE_ERROR.
        server.receive(frame(type: 0x4, payload: [0, 3, 0, 0, 0]), now: .now)
        client.receive(server.takeOutput())
        // nghttp2 queued the GOAWAY; the failure is reported as it goes out.
        let events = server.takeEvents()
        #expect(events.failures == [.protocolError])
        #expect(client.goAway?.errorCode == NGHTTP2_FRAME_SIZE_ERROR.rawValue)
        #expect(server.isFinished)
    }

    @Test func aFrameLargerThanTheAnnouncedMaximumIsAFrameSizeError() {
        let client = HTTP2TestClient()
        let server = HTTP2Session(limits: HTTP2Limits(maxFrameBytes: 16_384))
        exchange(client, server)
        let id = client.openStream()
        server.receive(client.takeOutput(), now: .now)
        _ = server.takeEvents()
        // A DATA header declaring 16 KiB + 1: refused before its payload arrives.
        server.receive(frame(type: 0x0, streamID: UInt32(id), payload: [], declaredLength: 16_385), now: .now)
        client.receive(server.takeOutput())
        let events = server.takeEvents()
        #expect(events.failures == [.protocolError])
        #expect(client.goAway?.errorCode == NGHTTP2_FRAME_SIZE_ERROR.rawValue)
    }

    @Test func bytesThatAreNotThePrefaceEndTheSession() {
        let server = HTTP2Session()
        server.receive(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8), now: .now)
        #expect(server.takeEvents().failures == [.badPreface])
    }

    @Test func aBodyOverTheCapIsCutAndTheRestOfTheUploadReset() {
        let client = HTTP2TestClient()
        let server = HTTP2Session(limits: HTTP2Limits(maxBodyBytesPerStream: 1_000))
        exchange(client, server)
        let id = client.request(path: "/big", body: [UInt8](repeating: 1, count: 100_000))
        var taken = 0
        var tooLarge: [Int32] = []
        exchange(client, server) { event in
            switch event {
            case .data(let stream, let bytes):
                taken += bytes.count
                server.consume(streamID: stream, byteCount: bytes.count)
            case .bodyTooLarge(let stream):
                tooLarge.append(stream)
                server.respond(streamID: stream, status: 413)
            case .end:
                Issue.record("a cut body must not end as a request")
            default:
                break
            }
        }
        #expect(tooLarge == [id])
        #expect(taken <= 1_000)
        #expect(client.streams[id]?.status == "413")
        #expect(client.streams[id]?.closedWith != nil)
        #expect(server.openStreamCount == 0)
        // The connection window was given back: another request gets through.
        let next = client.request(path: "/small", body: [1, 2, 3])
        exchange(client, server) { event in
            if case .data(let stream, let bytes) = event { server.consume(streamID: stream, byteCount: bytes.count) }
            if case .end(let stream) = event { server.respond(streamID: stream, status: 200) }
        }
        #expect(client.streams[next]?.status == "200")
    }
}
