/// A token bucket over client RST_STREAM frames (the rapid-reset attack, CVE-2023-44487, opens and
/// cancels streams faster than a server can drop the work they started). Pure: time comes in as an argument.
struct StreamResetRateLimiter {
    let burst: Int
    let perSecond: Int
    private var tokens: Double
    private var last: ContinuousClock.Instant?

    init(burst: Int, perSecond: Int) {
        self.burst = max(burst, 1)
        self.perSecond = max(perSecond, 0)
        self.tokens = Double(self.burst)
    }

    /// Takes one token for a reset received at `now`; false when the bucket is empty (the cap is passed).
    mutating func allowReset(at now: ContinuousClock.Instant) -> Bool {
        if let last {
            let elapsed = now - last
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            tokens = min(Double(burst), tokens + max(seconds, 0) * Double(perSecond))
        }
        last = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
