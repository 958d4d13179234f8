/// The process's figures at one instant, read by the composition root (the pipeline, the server, /proc)
/// for the process event.
public struct ProcessSample: Sendable, Equatable {
    public var residentBytes: Int
    /// User plus system CPU time since the process started.
    public var cpuSeconds: Double
    public var openConnections: Int
    /// Bytes admitted but not yet durable.
    public var queueBytes: Int
    /// Bytes in WAL/spool segment files.
    public var walBytes: Int64
    /// The sink's name (`spool`, `http`, `kafka`, `null`) and the bytes it has not confirmed yet.
    public var sink: String
    public var sinkLagBytes: Int64

    public init(
        residentBytes: Int, cpuSeconds: Double, openConnections: Int, queueBytes: Int, walBytes: Int64,
        sink: String, sinkLagBytes: Int64
    ) {
        self.residentBytes = residentBytes
        self.cpuSeconds = cpuSeconds
        self.openConnections = openConnections
        self.queueBytes = queueBytes
        self.walBytes = walBytes
        self.sink = sink
        self.sinkLagBytes = sinkLagBytes
    }
}
