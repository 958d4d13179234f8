import Testing
@testable import KelpieApp

/// The per-key token bucket, a pure value driven by a manual clock (nanoseconds).
@Suite struct TokenBucketTests {
    static let second: Int64 = 1_000_000_000

    static func limit(_ perSecond: Int, burst: Int? = nil) -> RateLimit {
        RateLimit(eventsPerSecond: perSecond, burst: burst)!
    }

    @Test func theBurstIsAcceptedAndTheExcessRefusedWithTheTimeItNeeds() {
        var bucket = TokenBucket(limit: Self.limit(5, burst: 10), now: 0)
        #expect(bucket.take(10, at: 0) == .admitted)
        // 1 event at 5/s: 0.2 s, rounded up to whole seconds.
        #expect(bucket.take(1, at: 0) == .refused(retryAfterSeconds: 1))
        // 8 events at 5/s: 1.6 s → 2.
        #expect(bucket.take(8, at: 0) == .refused(retryAfterSeconds: 2))
        // A refusal takes nothing: 0.2 s later exactly one event fits.
        #expect(bucket.take(2, at: Self.second / 5) == .refused(retryAfterSeconds: 1))
        #expect(bucket.take(1, at: Self.second / 5) == .admitted)
        #expect(bucket.take(1, at: Self.second / 5) == .refused(retryAfterSeconds: 1))
    }

    @Test func refillsAtTheConfiguredRateUpToTheBurst() {
        var bucket = TokenBucket(limit: Self.limit(2, burst: 10), now: 0)
        #expect(bucket.take(10, at: 0) == .admitted)
        #expect(bucket.take(5, at: 0) == .refused(retryAfterSeconds: 3))  // 2.5 s
        #expect(bucket.available(at: 2 * Self.second + Self.second / 2) == 5)
        #expect(bucket.take(5, at: 2 * Self.second + Self.second / 2) == .admitted)
        #expect(bucket.available(at: 3 * Self.second) == 1)
        // An hour idle refills to the burst, not beyond.
        let later = 3600 * Self.second
        #expect(bucket.isFull(at: later))
        #expect(bucket.available(at: later) == 10)
        #expect(bucket.take(10, at: later) == .admitted)
        #expect(bucket.take(1, at: later) == .refused(retryAfterSeconds: 1))
        // A clock that goes backwards adds nothing.
        #expect(bucket.take(1, at: later - Self.second) == .refused(retryAfterSeconds: 1))
    }

    @Test func aRequestLargerThanTheBurstNeedsAFullBucketAndLeavesDebt() {
        var bucket = TokenBucket(limit: Self.limit(5, burst: 10), now: 0)
        #expect(bucket.take(1, at: 0) == .admitted)
        // Not full: wait until it is (1 event at 5/s).
        #expect(bucket.take(25, at: 0) == .refused(retryAfterSeconds: 1))
        #expect(bucket.take(25, at: Self.second / 5) == .admitted)
        #expect(bucket.available(at: Self.second / 5) == -15)
        // The debt (15) plus one event at 5/s: 3.2 s → 4.
        #expect(bucket.take(1, at: Self.second / 5) == .refused(retryAfterSeconds: 4))
        #expect(bucket.take(1, at: Self.second / 5 + 16 * Self.second / 5) == .admitted)
    }

    @Test func givenBackTokensAndANewLimitStayWithinTheBurst() {
        var bucket = TokenBucket(limit: Self.limit(1, burst: 10), now: 0)
        #expect(bucket.take(4, at: 0) == .admitted)
        bucket.giveBack(100, at: 0)
        #expect(bucket.available(at: 0) == 10)
        // A smaller burst caps what is there; a faster rate refills faster from then on.
        bucket.apply(Self.limit(100, burst: 3))
        #expect(bucket.available(at: 0) == 3)
        #expect(bucket.take(3, at: 0) == .admitted)
        #expect(bucket.take(1, at: Self.second / 100) == .admitted)
        #expect(bucket.take(1, at: Self.second / 100) == .refused(retryAfterSeconds: 1))
    }

    @Test func limitsOutsideTheirRangeAreRefused() {
        #expect(RateLimit(eventsPerSecond: 0) == nil)
        #expect(RateLimit(eventsPerSecond: 5, burst: 0) == nil)
        #expect(RateLimit(eventsPerSecond: RateLimit.maxEvents + 1) == nil)
        #expect(RateLimit(eventsPerSecond: 7)?.burst == 7)
        // The extremes stay inside Int64 arithmetic.
        let huge = Self.limit(RateLimit.maxEvents, burst: RateLimit.maxEvents)
        var bucket = TokenBucket(limit: huge, now: 0)
        #expect(bucket.take(RateLimit.maxEvents, at: 0) == .admitted)
        #expect(bucket.take(RateLimit.maxEvents, at: Int64.max / 2) == .admitted)
    }
}
