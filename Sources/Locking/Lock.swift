#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// The server's one lock: a pthread mutex around a value. Every module uses this type, never
/// `Synchronization.Mutex`: on Linux that one is futex-based and invisible to ThreadSanitizer, which then
/// reports every guarded access as a race and buries the real ones; TSan intercepts pthread mutexes.
/// `State` must be `Sendable`, because it leaves the calling thread through the lock.
/// `state` lives in an allocation of its own: stored inline, an empty `State` (`Lock(())`) is accessed at
/// the object's base address, which callers read without the lock, and TSan reported a race on every use.
public final class Lock<State: Sendable>: @unchecked Sendable {  // unchecked: `state` is only touched under `mutex`
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let state: UnsafeMutablePointer<State>

    public init(_ state: State) {
        self.state = .allocate(capacity: 1)
        self.state.initialize(to: state)
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        precondition(pthread_mutex_init(mutex, nil) == 0, "pthread_mutex_init failed")
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        state.deinitialize(count: 1)
        state.deallocate()
    }

    public func withLock<Result>(_ body: (inout State) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&state.pointee)
    }
}
