/// What a worker publishes for the live progress line, about every housekeeping interval.
public struct WorkerSnapshot: Sendable {
    public var phaseIndex = 0
    public var phase = PhaseStats()
    public var inFlight = 0
    public var finished = false

    public init() {}
}
