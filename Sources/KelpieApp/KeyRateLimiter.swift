import Ingest
import Locking

#if canImport(Glibc)
import Glibc
#endif

/// The token buckets of the keys that are rate-limited, by key digest. Bounded: at most `maxTrackedKeys`
/// buckets, split over shards with a lock each (chosen by the digest's first byte, which SHA-256 spreads
/// evenly), so requests of different keys rarely meet on one lock. A shard at its cap first forgets its
/// idle buckets (refilled to their burst: a new bucket would start the same), then, if it is still more
/// than three quarters full, its least recently used quarter (a key forgotten early gets a fresh burst
/// back: lenient, never stricter; with the default cap that takes tens of thousands of busy keys).
final class KeyRateLimiter: Sendable {
    /// Default bound on buckets held at once, in keys (~130 bytes each by estimate: ~9 MiB at the cap).
    static let defaultMaxTrackedKeys = 65_536
    static let maxShardCount = 16

    let maxTrackedKeys: Int
    private let shards: [Lock<[APIKeyDigest: TokenBucket]>]
    private let keysPerShard: Int
    private let clock: @Sendable () -> Int64

    /// `clock`: nanoseconds of a monotonic clock (tests pass a manual one).
    init(maxTrackedKeys: Int = defaultMaxTrackedKeys, clock: @escaping @Sendable () -> Int64 = KeyRateLimiter.monotonicNanoseconds) {
        self.maxTrackedKeys = max(maxTrackedKeys, 1)
        let shardCount = min(Self.maxShardCount, self.maxTrackedKeys)
        shards = (0..<shardCount).map { _ in Lock([:]) }
        keysPerShard = self.maxTrackedKeys / shardCount
        self.clock = clock
    }

    /// Takes `events` tokens from the key's bucket (made full on first use), or refuses the whole request.
    func take(_ events: Int, key: APIKeyDigest, limit: RateLimit) -> TokenBucket.Decision {
        let now = clock()
        return shard(key).withLock { buckets in
            if let index = buckets.index(forKey: key) {
                buckets.values[index].apply(limit)
                return buckets.values[index].take(events, at: now)
            }
            if buckets.count >= keysPerShard { Self.evict(&buckets, cap: keysPerShard, now: now) }
            var bucket = TokenBucket(limit: limit, now: now)
            let decision = bucket.take(events, at: now)
            buckets[key] = bucket
            return decision
        }
    }

    /// Undoes a ``take(_:key:limit:)`` whose request was refused further on.
    func giveBack(_ events: Int, key: APIKeyDigest) {
        let now = clock()
        shard(key).withLock { buckets in buckets[key]?.giveBack(events, at: now) }
    }

    /// Buckets held now, over all shards.
    var trackedKeys: Int { shards.reduce(0) { total, shard in total + shard.withLock { $0.count } } }

    private func shard(_ key: APIKeyDigest) -> Lock<[APIKeyDigest: TokenBucket]> {
        shards[Int(key.bytes.first ?? 0) % shards.count]
    }

    /// Makes room in a full shard: idle buckets first, then the least recently used down to 3/4 of `cap`.
    static func evict(_ buckets: inout [APIKeyDigest: TokenBucket], cap: Int, now: Int64) {
        buckets = buckets.filter { !$0.value.isFull(at: now) }
        let target = cap - max(cap / 4, 1)
        guard buckets.count > target else { return }
        let oldest = buckets.sorted { $0.value.updatedAt < $1.value.updatedAt }.prefix(buckets.count - target)
        for (key, _) in oldest { buckets[key] = nil }
    }

    static func monotonicNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }
}
