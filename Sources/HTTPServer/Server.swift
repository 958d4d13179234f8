import Locking
public import DispatchSockets
import HTTP1
public import Logging

/// An HTTP server over ``DispatchSockets``: accepts connections, runs one driver per connection on its I/O
/// lane (``HTTPConnection`` for HTTP/1.1, ``HTTP2Connection`` for HTTP/2 with prior knowledge, chosen by
/// ``ProtocolSniffer`` from the first bytes), routes complete requests, and stops gracefully.
///
/// Named `Server`, not `HTTPServer`, so module-qualified names keep resolving to the module.
public final class Server: Sendable {
    public let configuration: ServerConfiguration
    public let router: Router
    let observer: (any HTTPServerObserver)?
    /// The observer's ``HTTPServerObserver/describesRequests``, asked once.
    let describesRequests: Bool
    let logger: Logger
    /// Request bytes held in memory; shared by every listener of one process.
    public let memoryBudget: MemoryBudget
    private let sockets: SocketServer

    /// `tlsObserver` hears how each TLS handshake ended (with `configuration.socket.tls` set). Without a
    /// `memoryBudget` the server has its own, of `configuration.maxInflightBytes`.
    public init(
        configuration: ServerConfiguration, router: Router,
        observer: (any HTTPServerObserver)? = nil, tlsObserver: (any TLSObserver)? = nil,
        memoryBudget: MemoryBudget? = nil, logger: Logger
    ) {
        self.configuration = configuration
        self.memoryBudget = memoryBudget ?? MemoryBudget(
            limitBytes: configuration.maxInflightBytes, grantBytes: configuration.socket.readChunkBytes
        )
        self.router = router
        self.observer = observer
        self.describesRequests = observer?.describesRequests ?? false
        self.logger = logger
        let box = Lock(WeakServer())
        self.sockets = SocketServer(configuration: configuration.socket, tlsObserver: tlsObserver) { _ in
            // The server outlives every connection: shutdown waits for all of them to close.
            ProtocolSniffer(server: box.withLock { $0.server! })
        }
        box.withLock { $0.server = self }
    }

    /// Binds and listens; returns the bound address (with the real port when 0 was asked for).
    public func start() throws -> SocketAddress {
        let address = try sockets.start()
        logger.info("listening", metadata: [
            "address": "\(address)", "io_backend": "\(configuration.socket.backend.rawValue)",
            "lanes": "\(configuration.socket.laneCount)", "tls": "\(configuration.socket.tls != nil)",
        ])
        return address
    }

    /// New connections get `context` (a reloaded certificate); open ones keep theirs. Any thread.
    public func replaceTLSContext(_ context: TLSContext) {
        sockets.replaceTLSContext(context)
    }

    /// Closes the listener(s); open connections keep being served.
    public func stopAccepting() {
        sockets.stopAccepting()
    }

    /// Asks every connection to finish: each closes after its next response, which carries `Connection: close`
    /// (idle ones wait up to `timeouts.drainIdleTimeout` for that request).
    public func closeConnectionsGracefully() {
        // The lanes' connection tables are the one record of open connections; each driver is its handler.
        sockets.forEachConnection { connection in
            (connection.handler as? ProtocolSniffer)?.drain()
        }
    }

    /// Closes everything at once and stops the lanes; `completion` runs once every fd is closed.
    public func shutdown(completion: @escaping @Sendable () -> Void) {
        sockets.shutdown(completion: completion)
    }

    public var openConnectionCount: Int { sockets.openConnectionCount }
    public func laneHeartbeats() -> [ContinuousClock.Instant] { sockets.laneHeartbeats() }

    func connectionOpened() {
        observer?.connectionOpened()
    }

    func connectionClosed() {
        observer?.connectionClosed()
    }
}

/// Breaks the init-order knot: the socket server's handler factory needs `self`, which exists only after init.
private struct WeakServer: Sendable {
    weak var server: Server?
}
