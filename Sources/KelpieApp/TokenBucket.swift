/// A token bucket in events, pure: every call takes the instant (nanoseconds of a monotonic clock; tests
/// pass a manual one). Tokens are counted in nano-events, so a refill of `elapsed` ns at R events/s adds
/// exactly `elapsed × R` of them: integer arithmetic, no rounding drift.
///
/// A request of more events than the bucket holds is refused whole (it is never split). A request of more
/// events than the whole burst could never fit, so it is admitted when the bucket is full and leaves it in
/// debt: the key then waits until the debt is repaid, and its long-run rate still holds.
struct TokenBucket: Sendable, Equatable {
    enum Decision: Sendable, Equatable {
        case admitted
        /// Retry after this many whole seconds (at least 1): when the bucket will hold the request.
        case refused(retryAfterSeconds: Int)
    }

    static let nanoPerEvent: Int64 = 1_000_000_000

    private(set) var limit: RateLimit
    /// Nano-events; negative while in debt.
    private var tokens: Int64
    /// The instant `tokens` was last brought up to date.
    private(set) var updatedAt: Int64

    /// A full bucket: a key never seen may send its burst at once.
    init(limit: RateLimit, now: Int64) {
        self.limit = limit
        tokens = Self.capacity(limit)
        updatedAt = now
    }

    /// Whole events available at `now` (negative while in debt).
    func available(at now: Int64) -> Int64 { refilled(at: now) / Self.nanoPerEvent }

    /// Refilled to its burst: forgetting the bucket changes nothing, as a new one starts full.
    func isFull(at now: Int64) -> Bool { refilled(at: now) >= Self.capacity(limit) }

    /// Takes `events` tokens, or none and says when to come back.
    mutating func take(_ events: Int, at now: Int64) -> Decision {
        refill(at: now)
        let capacity = Self.capacity(limit)
        let wanted = Self.nanoEvents(events)
        // More than the burst fits only into a full bucket, and then runs it into debt.
        let needed = min(wanted, capacity)
        guard tokens >= needed else { return .refused(retryAfterSeconds: retryAfterSeconds(needing: needed)) }
        tokens -= wanted
        return .admitted
    }

    /// Returns tokens taken for a request that was refused after all (the pipeline was full), capped at
    /// the burst: the key is not charged for events that were never stored.
    mutating func giveBack(_ events: Int, at now: Int64) {
        refill(at: now)
        tokens = min(Self.capacity(limit), tokens + Self.nanoEvents(events))
    }

    /// A reloaded key file may change the limit. The bucket learns it at its key's next request, so the
    /// new rate refills from the bucket's last update; the tokens stay, capped at the new burst.
    mutating func apply(_ newLimit: RateLimit) {
        guard newLimit != limit else { return }
        limit = newLimit
        tokens = min(tokens, Self.capacity(newLimit))
    }

    private mutating func refill(at now: Int64) {
        tokens = refilled(at: now)
        updatedAt = max(updatedAt, now)
    }

    private func refilled(at now: Int64) -> Int64 {
        let capacity = Self.capacity(limit)
        guard now > updatedAt, tokens < capacity else { return tokens }
        let rate = Int64(limit.eventsPerSecond)
        // Past the time to fill up, more elapsed time adds nothing; bounding it first keeps the product
        // far below Int64.max (capacity ≤ 10^18, debt as large as one request).
        let toFull = (capacity - tokens) / rate + 1
        let elapsed = min(now - updatedAt, toFull)
        return min(capacity, tokens + elapsed * rate)
    }

    /// Whole seconds until the bucket holds `needed` nano-events, rounded up, at least 1.
    private func retryAfterSeconds(needing needed: Int64) -> Int {
        let missing = needed - tokens
        let nanoseconds = (missing + Int64(limit.eventsPerSecond) - 1) / Int64(limit.eventsPerSecond)
        let seconds = (nanoseconds + 999_999_999) / 1_000_000_000
        return Int(max(seconds, 1))
    }

    private static func capacity(_ limit: RateLimit) -> Int64 { Int64(limit.burst) * nanoPerEvent }

    /// A request's events in nano-events; 2^32 events (more than any body limit allows) at most, so debt
    /// and refill stay far inside Int64.
    private static func nanoEvents(_ events: Int) -> Int64 { Int64(min(max(events, 0), 1 << 32)) * nanoPerEvent }
}
