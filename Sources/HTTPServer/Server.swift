public import DispatchSockets
import HTTP1
public import Logging
import Synchronization

/// An HTTP/1.1 server over ``DispatchSockets``: accepts connections, runs one ``HTTPConnection`` driver
/// per connection on its I/O lane, routes complete requests, and stops gracefully.
///
/// Named `Server`, not `HTTPServer`, so module-qualified names keep resolving to the module.
public final class Server: @unchecked Sendable {
    public let configuration: ServerConfiguration
    public let router: Router
    let observer: (any HTTPServerObserver)?
    let logger: Logger
    private let sockets: SocketServer
    /// Drivers by connection id, for graceful drain (the socket layer knows connections, not drivers).
    private let drivers = Mutex<[UInt64: (connection: Connection, driver: HTTPConnection)]>([:])

    /// `tlsObserver` hears how each TLS handshake ended (with `configuration.socket.tls` set).
    public init(
        configuration: ServerConfiguration, router: Router,
        observer: (any HTTPServerObserver)? = nil, tlsObserver: (any TLSObserver)? = nil, logger: Logger
    ) {
        self.configuration = configuration
        self.router = router
        self.observer = observer
        self.logger = logger
        let box = WeakServer()
        self.sockets = SocketServer(configuration: configuration.socket, tlsObserver: tlsObserver) { _ in
            // The server outlives every connection: shutdown waits for all of them to close.
            HTTPConnection(server: box.server!)
        }
        box.server = self
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

    /// Asks every connection to finish: idle ones close now, busy ones after their current response.
    public func closeConnectionsGracefully() {
        let current = drivers.withLock { Array($0.values) }
        for (connection, driver) in current {
            connection.execute { driver.drain() }
        }
    }

    /// Closes everything at once and stops the lanes; `completion` runs once every fd is closed.
    public func shutdown(completion: @escaping @Sendable () -> Void) {
        sockets.shutdown(completion: completion)
    }

    public var openConnectionCount: Int { sockets.openConnectionCount }
    public func laneHeartbeats() -> [ContinuousClock.Instant] { sockets.laneHeartbeats() }

    func register(_ driver: HTTPConnection, connection: Connection) {
        drivers.withLock { $0[connection.id] = (connection, driver) }
        observer?.connectionOpened()
    }

    func unregister(id: UInt64) {
        drivers.withLock { _ = $0.removeValue(forKey: id) }
        observer?.connectionClosed()
    }
}

/// Breaks the init-order knot: the socket server's handler factory needs `self`, which exists only after init.
private final class WeakServer: @unchecked Sendable {
    weak var server: Server?
}
