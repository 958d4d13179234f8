/// A live view of the current phase, merged over all workers, for the progress line.
public struct ProgressUpdate: Sendable {
    public var phaseName: String
    public var phaseNumber: Int
    public var phaseCount: Int
    public var measured: Bool
    public var elapsedInPhaseSeconds: Double
    public var targetRequestsPerSecond: Double?
    public var stats: PhaseStats
    public var inFlight: Int

    public var requestsPerSecond: Double {
        elapsedInPhaseSeconds > 0 ? Double(stats.requestsCompleted) / elapsedInPhaseSeconds : 0
    }
    public var eventsPerSecond: Double {
        elapsedInPhaseSeconds > 0 ? Double(stats.eventsAccepted) / elapsedInPhaseSeconds : 0
    }
}
