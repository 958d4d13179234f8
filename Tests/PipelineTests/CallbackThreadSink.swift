import Dispatch
import Locking
@testable import Pipeline

/// A sink that holds every block and reports it on its own serial queue, whose flush waits for that queue:
/// the shape of librdkafka's poll loop, which runs delivery reports and answers flushes.
final class CallbackThreadSink: Sink {
    let name = "callback-thread"
    private let queue = DispatchQueue(label: "kelpie.test.sink-callbacks")
    private let held = Lock<[@Sendable (SinkOutcome) -> Void]>([])

    func deliver(_ block: SinkBlock, completion: @escaping @Sendable (SinkOutcome) -> Void) {
        held.withLock { $0.append(completion) }
    }

    var heldBlocks: Int { held.withLock { $0.count } }

    /// Reports every held block delivered, on the callback queue.
    func releaseHeld() {
        let completions = held.withLock { held in
            defer { held.removeAll() }
            return held
        }
        queue.async { for completion in completions { completion(.delivered(rejected: [])) } }
    }

    /// Waits (up to 20 s, longer than the test waits for stop) until the callback queue has run everything
    /// before it: called on that queue, it cannot finish in time.
    func flush(timeout: Duration) -> Bool {
        let done = DispatchSemaphore(value: 0)
        queue.async { done.signal() }
        return done.wait(timeout: .now() + .seconds(20)) == .success
    }

    func close() {}
}
