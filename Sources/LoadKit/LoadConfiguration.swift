/// Connection-level settings of a run (the payload is in ``PayloadConfiguration``).
public struct LoadConfiguration: Sendable {
    public var target: TargetURL
    public var connections: Int
    /// Load threads, each with its own epoll loop and a share of the connections and rate.
    public var threads: Int
    public var plan: LoadPlan
    public var requestTimeoutNanos: Int64
    public var drainTimeoutNanos: Int64
    public var verify: Bool
    /// Fixed-work runs: stop after this many requests in total (phase durations become upper bounds).
    public var maxRequests: Int?

    public static let defaultRequestTimeoutNanos: Int64 = 10_000_000_000
    public static let defaultDrainTimeoutNanos: Int64 = 5_000_000_000
    /// Head start between spawning the threads and the first phase, so connections are open by then.
    public static let connectLeadNanos: Int64 = 100_000_000

    public init(
        target: TargetURL, connections: Int, threads: Int = 1, plan: LoadPlan,
        requestTimeoutNanos: Int64 = LoadConfiguration.defaultRequestTimeoutNanos,
        drainTimeoutNanos: Int64 = LoadConfiguration.defaultDrainTimeoutNanos, verify: Bool = false,
        maxRequests: Int? = nil
    ) {
        self.maxRequests = maxRequests
        self.target = target
        self.connections = max(1, connections)
        self.threads = max(1, min(threads, max(1, connections)))
        self.plan = plan
        self.requestTimeoutNanos = requestTimeoutNanos
        self.drainTimeoutNanos = drainTimeoutNanos
        self.verify = verify
    }
}
