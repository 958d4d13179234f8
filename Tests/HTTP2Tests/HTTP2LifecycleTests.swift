import CNGHTTP2
import HTTP2
import Testing
import TestSupport

@Suite struct HTTP2LifecycleTests {
    @Test func drainLetsTheOpenStreamFinishThenTheSessionIsDone() {
        let client = HTTP2TestClient()
        let server = HTTP2Session()
        exchange(client, server)
        let first = client.openStream(path: "/slow")
        var events: [HTTP2Event] = []
        exchange(client, server) { events.append($0) }
        #expect(events.heads[first] != nil)

        server.drain()
        exchange(client, server) { events.append($0) }
        // Shutdown notice, PING round trip, then the final GOAWAY naming the last stream started.
        #expect(events.last == .pingAcknowledged)
        #expect(client.goAwayCount == 2)
        #expect(client.goAway?.errorCode == 0)
        #expect(client.goAway?.lastStreamID == first)
        #expect(!server.isFinished)

        server.respond(streamID: first, status: 200)
        exchange(client, server)
        #expect(client.streams[first]?.status == "200")
        #expect(server.isFinished)
    }

    @Test func anIdleGoAwayFinishesAtOnceWithoutStreams() {
        let client = HTTP2TestClient()
        let server = HTTP2Session()
        exchange(client, server)
        server.goAway()
        exchange(client, server)
        #expect(client.goAway?.errorCode == 0)
        #expect(server.isFinished)
    }

    @Test(arguments: [
        ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", HTTP2Preface.Match.http2),
        ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0", .http2),
        ("PRI * HTTP/2", .needMore),
        ("", .needMore),
        ("POST /v1/traces HTTP/1.1\r\n", .notHTTP2),
        ("PRI * HTTP/1.1\r\n", .notHTTP2),
    ])
    func prefaceSniffing(input: String, expected: HTTP2Preface.Match) {
        let bytes = Array(input.utf8)
        #expect(bytes.withUnsafeBytes { HTTP2Preface.match($0) } == expected)
    }

    @Test func keepAliveGoesAwayWhenIdleAndPingsWhenSilentWithStreams() {
        let limits = HTTP2Limits(idleTimeout: .seconds(60), pingAfterSilence: .seconds(30), pingTimeout: .seconds(10))
        let start = ContinuousClock.now
        var keepAlive = HTTP2KeepAlive(limits: limits, now: start)
        #expect(keepAlive.deadline(openStreams: 0) == start + .seconds(60))
        #expect(keepAlive.deadlinePassed(now: start + .seconds(59), openStreams: 0) == .none)
        #expect(keepAlive.deadlinePassed(now: start + .seconds(60), openStreams: 0) == .goAwayIdle)

        keepAlive.activity(at: start + .seconds(100))
        #expect(keepAlive.deadline(openStreams: 2) == start + .seconds(130))
        #expect(keepAlive.deadlinePassed(now: start + .seconds(130), openStreams: 2) == .sendPing)
        #expect(keepAlive.deadline(openStreams: 2) == start + .seconds(140))
        keepAlive.pingAcknowledged(at: start + .seconds(131))
        #expect(keepAlive.deadline(openStreams: 2) == start + .seconds(161))
        #expect(keepAlive.deadlinePassed(now: start + .seconds(161), openStreams: 2) == .sendPing)
        #expect(keepAlive.deadlinePassed(now: start + .seconds(170), openStreams: 2) == .none)
        #expect(keepAlive.deadlinePassed(now: start + .seconds(171), openStreams: 2) == .close)
    }
}
