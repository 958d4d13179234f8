/// Exponential backoff with full jitter for re-handing a failed block to a sink: the n-th consecutive
/// failure waits a random time in [0, min(cap, base × 2ⁿ)], so many pods retrying an outage do not
/// arrive in lock-step. Pure; the caller owns the random source and the clock.
struct RetryBackoff: Sendable {
    let base: Duration
    let cap: Duration
    private(set) var consecutiveFailures = 0

    init(base: Duration = .milliseconds(100), cap: Duration = .seconds(5)) {
        self.base = base
        self.cap = cap
    }

    /// The ceiling of the next wait; `delay(unitRandom:)` scales it.
    var ceiling: Duration {
        let exponent = min(consecutiveFailures, 30)
        let grown = base * (1 << exponent)
        return grown > cap ? cap : grown
    }

    /// Records a failure and returns how long to wait before the next attempt; `unitRandom` is in [0, 1].
    mutating func failed(unitRandom: Double) -> Duration {
        let wait = ceiling * min(max(unitRandom, 0), 1)
        consecutiveFailures += 1
        return wait
    }

    mutating func succeeded() {
        consecutiveFailures = 0
    }
}
