import Ingest
import Testing
@testable import KelpieApp

/// The limiter around the token buckets: one bucket per key, bounded in keys, idle buckets forgotten first.
@Suite struct KeyRateLimiterTests {
    static let second: Int64 = 1_000_000_000

    static func limit(_ perSecond: Int, burst: Int? = nil) -> RateLimit {
        RateLimit(eventsPerSecond: perSecond, burst: burst)!
    }

    @Test func keysHaveTheirOwnBuckets() {
        let clock = ManualClock()
        let limiter = KeyRateLimiter(clock: clock.read)
        let limit = Self.limit(1, burst: 3)
        let a = APIKeyDigest(key: "a"), b = APIKeyDigest(key: "b")
        #expect(limiter.take(3, key: a, limit: limit) == .admitted)
        #expect(limiter.take(1, key: a, limit: limit) == .refused(retryAfterSeconds: 1))
        #expect(limiter.take(3, key: b, limit: limit) == .admitted)
        clock.advance(by: .seconds(1))
        #expect(limiter.take(1, key: a, limit: limit) == .admitted)
        limiter.giveBack(1, key: a)
        #expect(limiter.take(1, key: a, limit: limit) == .admitted)
        #expect(limiter.trackedKeys == 2)
    }

    @Test func trackedKeysStayWithinTheCap() {
        let clock = ManualClock()
        let limiter = KeyRateLimiter(maxTrackedKeys: 64, clock: clock.read)
        let limit = Self.limit(1, burst: 10)
        for index in 0..<5_000 {
            // Every key stays busy (not refilled): only the least-recently-used eviction makes room.
            #expect(limiter.take(1, key: APIKeyDigest(key: "key-\(index)"), limit: limit) == .admitted)
            #expect(limiter.trackedKeys <= 64)
            clock.advance(by: .microseconds(1))
        }
        #expect(limiter.trackedKeys > 16)
    }

    @Test func evictionForgetsIdleBucketsFirstThenTheLeastRecentlyUsed() {
        let limit = Self.limit(1, burst: 2)
        func bucket(takenAt time: Int64, events: Int) -> TokenBucket {
            var bucket = TokenBucket(limit: limit, now: time)
            _ = bucket.take(events, at: time)
            return bucket
        }
        let keys = (0..<8).map { APIKeyDigest(key: "k\($0)") }
        var buckets: [APIKeyDigest: TokenBucket] = [:]
        // k0, k1: idle (refilled by t = 100 s); k2…k7 busy, k2 the least recently used.
        buckets[keys[0]] = bucket(takenAt: 0, events: 1)
        buckets[keys[1]] = bucket(takenAt: 1 * Self.second, events: 2)
        for index in 2..<8 { buckets[keys[index]] = bucket(takenAt: 100 * Self.second + Int64(index), events: 2) }
        var idleOnly = buckets
        KeyRateLimiter.evict(&idleOnly, cap: 8, now: 100 * Self.second + 10)
        #expect(Set(idleOnly.keys) == Set(keys[2..<8]))  // 6 = 3/4 of 8: no busy bucket had to go
        var tighter = buckets
        KeyRateLimiter.evict(&tighter, cap: 4, now: 100 * Self.second + 10)
        #expect(Set(tighter.keys) == Set(keys[5..<8]))  // 3 = 4 − 1: the oldest busy ones went
    }
}
