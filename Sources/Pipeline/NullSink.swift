import Locking

/// Counts and discards: what the server can do without storage (benchmarks), and the simplest sink to test
/// the pipeline's sink paths against.
public final class NullSink: Sink {
    public let name = "null"
    private let counts = Lock<(events: Int, bytes: Int)>((0, 0))

    public init() {}

    public func deliver(_ block: SinkBlock, completion: @escaping @Sendable (SinkOutcome) -> Void) {
        counts.withLock {
            $0.events += block.events.count
            $0.bytes += block.eventBytes
        }
        completion(.delivered(rejected: []))
    }

    public func flush(timeout: Duration) -> Bool { true }
    public func close() {}

    /// Events and line bytes discarded so far.
    public var discarded: (events: Int, bytes: Int) { counts.withLock { $0 } }
}
