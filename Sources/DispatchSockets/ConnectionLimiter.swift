internal import Synchronization

/// Open-connection count and the acceptor's "paused at the cap" flag (the h2o pattern): the accept
/// lane reserves a slot before each accept and pauses when none is left; whichever lane frees a
/// slot while the acceptor is paused is told to wake it. Both flags are sequentially consistent,
/// so a pause and a concurrent release can never both miss each other.
final class ConnectionLimiter: Sendable {
    let maxConnections: Int
    private let openCount = Atomic<Int>(0)
    private let acceptorPaused = Atomic<Bool>(false)

    init(maxConnections: Int) {
        self.maxConnections = maxConnections
    }

    var currentCount: Int { openCount.load(ordering: .sequentiallyConsistent) }

    /// Accept lane only (the only incrementer). `false`: at the cap; the acceptor is now marked
    /// paused and will be woken through `releaseSlot` returning true.
    func reserveSlot() -> Bool {
        if openCount.load(ordering: .sequentiallyConsistent) < maxConnections {
            openCount.add(1, ordering: .sequentiallyConsistent)
            return true
        }
        acceptorPaused.store(true, ordering: .sequentiallyConsistent)
        if openCount.load(ordering: .sequentiallyConsistent) < maxConnections {
            // A slot was freed between the two loads. If its releaser already consumed the flag it
            // will send a wake-up, which then finds the acceptor running: harmless.
            _ = acceptorPaused.exchange(false, ordering: .sequentiallyConsistent)
            openCount.add(1, ordering: .sequentiallyConsistent)
            return true
        }
        return false
    }

    /// Accept lane only: a reserved slot that accept did not fill (EAGAIN, error).
    func returnUnusedSlot() {
        openCount.subtract(1, ordering: .sequentiallyConsistent)
    }

    /// Any lane, after a connection's descriptor is closed. `true`: the acceptor was paused at the
    /// cap and the caller must resume it.
    func releaseSlot() -> Bool {
        let remaining = openCount.subtract(1, ordering: .sequentiallyConsistent).newValue
        return remaining < maxConnections && acceptorPaused.exchange(false, ordering: .sequentiallyConsistent)
    }
}
