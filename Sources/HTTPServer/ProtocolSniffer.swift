import DispatchSockets
import HTTP2

/// The handler of every accepted connection. Its first bytes choose the protocol: the HTTP/2 client
/// preface (h2c with prior knowledge, what gRPC clients send on a plain-text port) selects
/// ``HTTP2Connection``, anything else ``HTTPConnection``; from then on every callback goes to that driver.
/// One port thus serves OTLP/HTTP, the Events API and OTLP/gRPC.
final class ProtocolSniffer: ConnectionHandler, @unchecked Sendable {  // unchecked: lane-confined like the drivers it hands over to
    private enum Driver {
        /// Bytes so far, all matching the preface (at most its 24 bytes).
        case undecided([UInt8])
        case http1(HTTPConnection)
        case http2(HTTP2Connection)
    }

    private unowned let server: Server
    private var connection: Connection?
    private var driver = Driver.undecided([])

    init(server: Server) {
        self.server = server
    }

    func connectionDidOpen(_ connection: Connection) {
        self.connection = connection
        server.connectionOpened()
        // Choosing is bounded like reading a request head.
        connection.setDeadline(.now + server.configuration.timeouts.headerTimeout)
    }

    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {
        switch driver {
        case .http1(let http1):
            http1.connection(connection, didRead: bytes)
        case .http2(let http2):
            http2.didRead(bytes)
        case .undecided(var prefix):
            let earlier = prefix.count
            prefix.append(contentsOf: bytes.prefix(HTTP2Preface.bytes.count - prefix.count))
            let verdict = prefix.withUnsafeBytes { HTTP2Preface.match($0) }
            switch verdict {
            case .needMore:
                driver = .undecided(prefix)
            case .http2:
                let http2 = HTTP2Connection(server: server, connection: connection)
                driver = .http2(http2)
                feed(earlier: earlier, of: prefix, then: bytes) { http2.didRead($0) }
            case .notHTTP2:
                let http1 = HTTPConnection(server: server)
                driver = .http1(http1)
                http1.connectionDidOpen(connection)
                feed(earlier: earlier, of: prefix, then: bytes) {
                    http1.connection(connection, didRead: $0)
                }
            }
        }
    }

    /// Hands over the bytes of earlier reads (the first `count` of `prefix`), then this read's bytes.
    private func feed(
        earlier count: Int, of prefix: [UInt8], then bytes: UnsafeRawBufferPointer,
        _ deliver: (UnsafeRawBufferPointer) -> Void
    ) {
        if count > 0 { prefix.withUnsafeBytes { deliver(UnsafeRawBufferPointer(rebasing: $0[0..<count])) } }
        deliver(bytes)
    }

    func connectionDidReadEOF(_ connection: Connection) {
        switch driver {
        case .http1(let http1): http1.connectionDidReadEOF(connection)
        case .http2(let http2): http2.peerClosed()
        case .undecided: connection.close(flushingOutput: false)
        }
    }

    func connectionDeadlineExpired(_ connection: Connection) {
        switch driver {
        case .http1(let http1): http1.connectionDeadlineExpired(connection)
        case .http2(let http2): http2.deadlineExpired()
        case .undecided: connection.close(flushingOutput: false)
        }
    }

    func connectionDidDrainOutput(_ connection: Connection) {
        switch driver {
        case .http1(let http1): http1.connectionDidDrainOutput(connection)
        case .http2(let http2): http2.didDrainOutput()
        case .undecided: break
        }
    }

    func connectionDidClose(_ connection: Connection) {
        switch driver {
        case .http1(let http1): http1.connectionDidClose(connection)
        case .http2(let http2): http2.didClose()
        case .undecided: break
        }
        server.connectionClosed()
        self.connection = nil
    }

    /// Graceful stop: a connection that has not chosen yet closes now.
    func drain() {
        switch driver {
        case .http1(let http1): http1.drain()
        case .http2(let http2): http2.drain()
        case .undecided: connection?.close(flushingOutput: false)
        }
    }
}
