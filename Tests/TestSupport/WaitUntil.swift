#if canImport(Glibc)
import Glibc
#endif

/// Polls `condition` until it holds or `timeout` (scaled by `TestTimeScale`) passes; returns whether it held. Tests wait for the event
/// itself this way, never for a fixed time. Blocking form, for threads and synchronous tests.
public func waitUntil(timeout: Duration = .seconds(10), _ condition: () -> Bool) -> Bool {
    let deadline = ContinuousClock.now + TestTimeScale.scaled(timeout)
    while ContinuousClock.now < deadline {
        if condition() { return true }
        usleep(1_000)
    }
    return condition()
}

/// The same for async tests: polls every 5 ms without blocking a thread.
public func waitUntil(timeout: Duration = .seconds(10), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + TestTimeScale.scaled(timeout)
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return condition()
}
