/// Exponential backoff with full jitter for re-handing a failed block to a sink: the n-th consecutive
/// failure waits a random time in [0, min(cap, base × 2ⁿ)], so many pods retrying an outage do not
/// arrive in lock-step. Pure; the caller owns the random source and the clock. Public so sink modules that
/// retry inside themselves (Kafka's per-event resubmission) use the same schedule.
public struct RetryBackoff: Sendable {
    public let base: Duration
    public let cap: Duration
    public private(set) var consecutiveFailures = 0

    public init(base: Duration = .milliseconds(100), cap: Duration = .seconds(5)) {
        self.base = base
        self.cap = cap
    }

    /// The ceiling of the next wait; `delay(unitRandom:)` scales it.
    public var ceiling: Duration {
        let exponent = min(consecutiveFailures, 30)
        let grown = base * (1 << exponent)
        return grown > cap ? cap : grown
    }

    /// Records a failure and returns how long to wait before the next attempt; `unitRandom` is in [0, 1].
    public mutating func failed(unitRandom: Double) -> Duration {
        let wait = ceiling * min(max(unitRandom, 0), 1)
        consecutiveFailures += 1
        return wait
    }

    /// ``failed(unitRandom:)``, but never shorter than `floor` (a `Retry-After` the far end sent).
    public mutating func failed(unitRandom: Double, atLeast floor: Duration?) -> Duration {
        let wait = failed(unitRandom: unitRandom)
        guard let floor else { return wait }
        return max(wait, floor)
    }

    public mutating func succeeded() {
        consecutiveFailures = 0
    }
}
