import Synchronization

/// Nanoseconds that move only when a test says so.
final class ManualClock: Sendable {
    private let nanoseconds = Atomic<Int64>(1_000_000_000)

    var read: @Sendable () -> Int64 { { [self] in nanoseconds.load(ordering: .sequentiallyConsistent) } }

    func advance(by duration: Duration) {
        let (seconds, attoseconds) = duration.components
        nanoseconds.add(seconds * 1_000_000_000 + attoseconds / 1_000_000_000, ordering: .sequentiallyConsistent)
    }
}
