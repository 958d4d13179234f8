/// One API key's sustained rate and burst, in events: `--rate-limit-events` / `--rate-limit-burst`, or a
/// key file entry's `rate_limit: {events_per_second: N, burst: M}` (docs/api.md#rate-limits).
public struct RateLimit: Sendable, Hashable {
    /// Largest accepted rate and burst: keeps the bucket's nano-event arithmetic far from Int64's range.
    public static let maxEvents = 1_000_000_000

    /// Tokens added per second (events per second, sustained).
    public let eventsPerSecond: Int
    /// The bucket's size in events: what a key may send at once after being idle.
    public let burst: Int

    /// Nil unless both are 1…``maxEvents``. Without a burst, one second's worth.
    public init?(eventsPerSecond: Int, burst: Int? = nil) {
        let burst = burst ?? eventsPerSecond
        guard (1...Self.maxEvents).contains(eventsPerSecond), (1...Self.maxEvents).contains(burst) else { return nil }
        self.eventsPerSecond = eventsPerSecond
        self.burst = burst
    }
}
