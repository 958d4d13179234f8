/// The outcome of a run: per measured phase, and totals over everything that was sent.
public struct LoadResult: Sendable {
    public struct PhaseResult: Sendable {
        public var phase: LoadPlan.Phase
        public var stats: PhaseStats

        public var durationSeconds: Double { Double(phase.durationNanos) / 1e9 }
        public var achievedRequestsPerSecond: Double { Double(stats.requestsCompleted) / durationSeconds }
        public var acceptedEventsPerSecond: Double { Double(stats.eventsAccepted) / durationSeconds }

        /// Latency at `percentile` in milliseconds.
        public func latencyMillis(_ percentile: Double) -> Double {
            Double(stats.latencyMicros.valueAtPercentile(percentile)) / 1000
        }

        public var maxLatencyMillis: Double { Double(stats.latencyMicros.max) / 1000 }
    }

    public var phases: [PhaseResult]
    public var totals: PhaseStats
    public var payload: PayloadConfiguration
    public var configuration: LoadConfiguration
    public var meanBodyBytes: Int
    /// Verify mode: ids ("<run>-<seq>") of acknowledged events, in no particular order.
    public var ackedSequences: [UInt64]
    /// CPU time (user + system) the load generator spent during the run, pool generation excluded.
    public var clientCPUSeconds: Double = 0

    /// All measured phases merged (what a single-phase run reports).
    public var measured: PhaseStats {
        var merged = PhaseStats()
        for phase in phases { merged.merge(phase.stats) }
        return merged
    }

    public var measuredSeconds: Double { phases.reduce(0) { $0 + $1.durationSeconds } }
}
