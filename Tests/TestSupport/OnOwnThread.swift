import Foundation

/// Runs blocking work (raw sockets, a paced load, a timing-sensitive exchange) on a thread of its own and
/// awaits its result. Swift Testing runs tests on the cooperative pool, one thread per CPU: blocking one of
/// those threads for seconds stalls every other test's resumption on a 2-core machine (a drain test once
/// lost its 3 s window that way, starved while another test's blocking load held the pool).
public func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread {
            do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
        }.start()
    }
}
