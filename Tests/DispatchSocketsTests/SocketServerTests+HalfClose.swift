import DispatchSockets
import Dispatch
import Testing
import TestSupport

/// A line protocol answered the way HTTPServer answers requests: one at a time, off the lane, with
/// reading paused meanwhile; the peer's FIN only ends the connection once every complete line before
/// it has its answer. Confined to the connection's lane (the test opens one connection).
private final class OneAtATimeLineServer: @unchecked Sendable {
    private var buffered: [UInt8] = []
    private var isBusy = false
    private var peerClosed = false

    func didRead(_ connection: Connection, _ bytes: [UInt8]) {
        buffered += bytes
        if !isBusy { startNext(connection) }
    }

    func didReadEOF(_ connection: Connection) {
        peerClosed = true
        if !isBusy { startNext(connection) }
    }

    private func startNext(_ connection: Connection) {
        guard let newline = buffered.firstIndex(of: UInt8(ascii: "\n")) else {
            if peerClosed { connection.close(flushingOutput: true) }
            return
        }
        let line = Array(buffered[..<newline])
        buffered.removeSubrange(...newline)
        isBusy = true
        connection.pauseReading()
        DispatchQueue.global().async {
            connection.execute {
                connection.write(Array("ok ".utf8) + line + [UInt8(ascii: "\n")])
                self.isBusy = false
                connection.resumeReading()
                self.startNext(connection)
            }
        }
    }
}

extension SocketServerTests {
    /// Pipelined requests, then FIN (`shutdown(SHUT_WR)`): every one is answered, in order, then the
    /// server closes. Reading is paused while each is answered, so the FIN is seen only after resuming.
    @Test(arguments: IOBackendKind.allCases, [4, 65_536])
    func halfClosedClientGetsEveryPipelinedAnswerInOrder(backend: IOBackendKind, readChunkBytes: Int) async throws {
        let lineServer = OneAtATimeLineServer()
        var script = HandlerScript()
        script.onRead = { connection, bytes, _ in lineServer.didRead(connection, bytes) }
        script.onEOF = { connection, _ in lineServer.didReadEOF(connection) }
        try await withServer(backend: backend, script: script, configure: { $0.readChunkBytes = readChunkBytes }) { running in
            let client = try TestClient(connectingTo: running.address)
            let requests = (1...20).map { "request \($0)" }
            try client.send(requests.map { $0 + "\n" }.joined())
            client.shutdownWrite()
            var received: [UInt8] = []
            _ = try client.receiveUntilEOF { received += $0 }
            let expected = requests.map { "ok \($0)\n" }.joined()
            #expect(String(decoding: received, as: UTF8.self) == expected)
            #expect(running.events.read { $0.eofs } == 1)
            #expect(await waitUntil { running.events.closedCount == 1 })
        }
    }
}
