/// Delay before retrying accept after EMFILE/ENFILE/ENOBUFS/ENOMEM, doubling per consecutive
/// failure up to a cap and reset by the next successful accept (as Go's net/http does). Without it
/// a level-triggered listener with a full descriptor table spins a lane at 100%.
struct AcceptBackoff: Sendable {
    static let initialDelay: Duration = .milliseconds(5)
    static let maxDelay: Duration = .seconds(1)

    private(set) var currentDelay: Duration?

    /// Records a failure; returns how long to wait before the next accept.
    mutating func failed() -> Duration {
        let next = currentDelay.map { min($0 * 2, Self.maxDelay) } ?? Self.initialDelay
        currentDelay = next
        return next
    }

    mutating func succeeded() {
        currentDelay = nil
    }
}
