internal import Glibc

/// Everything a `SocketServer` needs, with defaults in one place. Units are in the names.
public struct SocketServerConfiguration: Sendable {
    /// Numeric address to bind: "0.0.0.0", "127.0.0.1", "::", "::1" (brackets are accepted: "[::]").
    /// Binding "::" accepts IPv4 too (the kernel default, IPV6_V6ONLY off).
    public var host: String
    /// 0 binds an ephemeral port; `SocketServer.start()` returns the port actually bound.
    public var port: UInt16
    /// Readiness backend. Default `.epoll`.
    public var backend: IOBackendKind
    /// Number of serial I/O lanes (threads that run connection callbacks). Default: online CPUs.
    public var laneCount: Int
    /// Open connections at which the listener stops accepting (the next ones wait in the kernel
    /// backlog) until one closes. Default 10,000.
    public var maxConnections: Int
    /// `listen(2)` backlog. Default 1024 (the kernel clamps it to net.core.somaxconn).
    public var listenBacklog: Int32
    /// Sets SO_REUSEPORT on the listener so several processes can share the port. There is one
    /// listener per server (accepts are handed to lanes round-robin), so this is never implied.
    public var reusePort: Bool
    /// Bytes read from one connection per readiness wakeup before yielding the lane to others.
    /// Default 256 KiB.
    public var maxReadBytesPerWakeup: Int
    /// Size of each lane's receive buffer, i.e. the largest single `didRead` slice. Default 64 KiB.
    public var readChunkBytes: Int
    /// Resolution of deadlines and heartbeats; each lane scans its deadlines once per tick.
    /// Default 100 ms.
    public var timerTick: Duration
    /// After `close(flushingOutput: true)` has sent everything and shut down the write side, input
    /// is read and discarded for at most this long (until the peer's FIN), so that unread input
    /// does not turn the close into a reset that destroys the response. `.zero` closes at once.
    /// Default 2 s.
    public var closeLingerTimeout: Duration
    /// Terminates TLS on every accepted connection with this context (replaceable while running:
    /// `SocketServer.replaceTLSContext`). nil: plain TCP. Default nil.
    public var tls: TLSContext?

    public init(
        host: String = "0.0.0.0",
        port: UInt16 = 0,
        backend: IOBackendKind = .epoll,
        laneCount: Int = SocketServerConfiguration.onlineProcessorCount,
        maxConnections: Int = 10_000,
        listenBacklog: Int32 = 1024,
        reusePort: Bool = false,
        maxReadBytesPerWakeup: Int = 256 * 1024,
        readChunkBytes: Int = 64 * 1024,
        timerTick: Duration = .milliseconds(100),
        closeLingerTimeout: Duration = .seconds(2),
        tls: TLSContext? = nil
    ) {
        self.host = host
        self.port = port
        self.backend = backend
        self.laneCount = laneCount
        self.maxConnections = maxConnections
        self.listenBacklog = listenBacklog
        self.reusePort = reusePort
        self.maxReadBytesPerWakeup = maxReadBytesPerWakeup
        self.readChunkBytes = readChunkBytes
        self.timerTick = timerTick
        self.closeLingerTimeout = closeLingerTimeout
        self.tls = tls
    }

    /// Online CPUs as reported by sysconf, at least 1.
    public static var onlineProcessorCount: Int {
        max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    /// Largest accepted `laneCount`; more lanes than this is a configuration mistake.
    public static let maxLaneCount = 1024

    func validate() throws {
        guard (1...Self.maxLaneCount).contains(laneCount) else {
            throw SocketError.invalidConfiguration("laneCount must be in 1...\(Self.maxLaneCount), got \(laneCount)")
        }
        guard maxConnections >= 1 else {
            throw SocketError.invalidConfiguration("maxConnections must be >= 1, got \(maxConnections)")
        }
        guard listenBacklog >= 1 else {
            throw SocketError.invalidConfiguration("listenBacklog must be >= 1, got \(listenBacklog)")
        }
        guard readChunkBytes >= 1 else {
            throw SocketError.invalidConfiguration("readChunkBytes must be >= 1, got \(readChunkBytes)")
        }
        guard maxReadBytesPerWakeup >= 1 else {
            throw SocketError.invalidConfiguration("maxReadBytesPerWakeup must be >= 1, got \(maxReadBytesPerWakeup)")
        }
        guard timerTick >= .milliseconds(1) else {
            throw SocketError.invalidConfiguration("timerTick must be >= 1 ms, got \(timerTick)")
        }
        guard closeLingerTimeout >= .zero else {
            throw SocketError.invalidConfiguration("closeLingerTimeout must not be negative")
        }
    }
}
