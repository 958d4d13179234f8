/// The time bounds one HTTP connection lives by. Each names the phase it bounds (Go's lesson: a
/// default-constructed server must not be open to slowloris, so every default is finite).
public struct ConnectionTimeouts: Sendable, Equatable {
    /// From the first byte of a request (or from accept, for the first request) to its complete head.
    public var headerTimeout: Duration
    /// From the complete head to the complete body.
    public var bodyTimeout: Duration
    /// How long a keep-alive connection may sit with no request in progress.
    public var idleTimeout: Duration
    /// How long a response may take to drain to a slow reader before the connection is cut.
    public var writeTimeout: Duration
    /// Once the server drains, how long an idle keep-alive connection may stay open for one last request
    /// (answered with `Connection: close`) before the server closes it.
    public var drainIdleTimeout: Duration
    /// How long a request whose body stopped being read (the memory budget is spent) waits for room before
    /// it is answered 503 with `Retry-After` and its connection closed.
    public var inflightWait: Duration

    public init(
        headerTimeout: Duration = .seconds(10),
        bodyTimeout: Duration = .seconds(60),
        idleTimeout: Duration = .seconds(60),
        writeTimeout: Duration = .seconds(30),
        drainIdleTimeout: Duration = .seconds(2),
        inflightWait: Duration = .seconds(5)
    ) {
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.idleTimeout = idleTimeout
        self.writeTimeout = writeTimeout
        self.drainIdleTimeout = drainIdleTimeout
        self.inflightWait = inflightWait
    }
}
