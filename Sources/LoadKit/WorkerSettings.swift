/// What one load thread needs: its share of connections and rate, the shared plan and request pool.
public struct WorkerSettings: Sendable {
    public var workerIndex: Int
    public var workerCount: Int
    public var connectionCount: Int
    /// This worker's share of each phase's rate (its connections over all connections).
    public var rateShare: Double
    public var address: SocketAddress
    public var plan: LoadPlan
    public var pool: RequestPool
    /// Common start of the first phase on MonotonicClock, identical for all workers.
    public var startNanos: Int64
    public var requestTimeoutNanos: Int64
    /// After the last phase, how long in-flight requests may still complete (counted in totals only).
    public var drainTimeoutNanos: Int64
    public var verify: Bool
    /// Stop after sending this many requests (this worker's share of `--requests`); nil = no limit.
    public var requestLimit: Int?

    public static let housekeepingIntervalNanos: Int64 = 100_000_000
    public static let reconnectBackoffNanos: Int64 = 100_000_000
    public static let readBufferBytes = 256 * 1024
    public static let maxEventsPerWait: Int32 = 256
}
