import Locking
import Dispatch

/// ack=memory and ack=delivered with a remote sink (no WAL on the way): each admitted submission goes to the
/// sink as one block, straight from the submitting thread (``Sink/deliver(_:completion:)`` never blocks).
/// A block the sink reports failed is handed over again after a jittered exponential backoff; its bytes stay
/// charged to the admission budget until the sink reports it delivered, so an unreachable sink fills the
/// budget and admission answers 503 instead of memory growing.
final class SinkDispatcher: Sendable {
    private struct State {
        var backoff = RetryBackoff()
        var blocksInFlight = 0
        var eventsInFlight = 0
        var drainWaiters: [@Sendable () -> Void] = []
    }

    private let sink: any Sink
    private let observer: any PipelineObserver
    private let deadLetters: DeadLetterSpool
    private let retryQueue = DispatchQueue(label: "kelpie.pipeline.sink-retry")
    private let state = Lock(State())
    private let clock = ContinuousClock()

    init(sink: any Sink, observer: any PipelineObserver, deadLetters: DeadLetterSpool) {
        self.sink = sink
        self.observer = observer
        self.deadLetters = deadLetters
    }

    /// Hands `block` (charged `bytes` in the budget) to the sink; `completion`, if any, runs once it is
    /// delivered (ack=delivered), unless the timeout took it first; `release` gives the bytes back to the
    /// admission budget once the sink has confirmed them.
    func dispatch(
        _ block: SinkBlock, bytes: Int, completion: CompletionOnce?, release: @escaping @Sendable (Int) -> Void
    ) {
        state.withLock {
            $0.blocksInFlight += 1
            $0.eventsInFlight += block.events.count
        }
        attempt(block, bytes: bytes, completion: completion, release: release, redelivery: false)
    }

    /// Blocks handed over and not yet reported delivered.
    var eventsInFlight: Int { state.withLock { $0.eventsInFlight } }

    /// Calls `done` once nothing is in flight (at once if nothing is).
    func whenDrained(_ done: @escaping @Sendable () -> Void) {
        let now = state.withLock { state -> Bool in
            if state.blocksInFlight == 0 { return true }
            state.drainWaiters.append(done)
            return false
        }
        if now { done() }
    }

    private func attempt(
        _ block: SinkBlock, bytes: Int, completion: CompletionOnce?, release: @escaping @Sendable (Int) -> Void,
        redelivery: Bool
    ) {
        if redelivery { observer.sinkRedelivered(events: block.events.count) }
        let started = clock.now
        sink.deliver(block) { [self] outcome in
            switch outcome {
            case .delivered(let rejected):
                finish(block, rejected: rejected, latency: clock.now - started)
                release(bytes)
                completion?.complete(.success(SubmissionReceipt(rejected: rejected)))
            case .failed(let reason, let retryAfter):
                observer.sinkFailed(sink: sink.name, reason: reason)
                let wait = state.withLock {
                    $0.backoff.failed(unitRandom: Double.random(in: 0...1), atLeast: retryAfter)
                }
                retryQueue.asyncAfter(deadline: .now() + .nanoseconds(Int(clamping: wait.wholeNanoseconds))) {
                    self.attempt(block, bytes: bytes, completion: completion, release: release, redelivery: true)
                }
            }
        }
    }

    private func finish(_ block: SinkBlock, rejected: [SinkRejection], latency: Duration) {
        deadLetters.setAside(rejected, of: block, sink: sink.name, observer: observer)
        observer.sinkDelivered(
            sink: sink.name, events: block.events.count - rejected.count, bytes: block.eventBytes, latency: latency
        )
        let waiters = state.withLock { state -> [@Sendable () -> Void] in
            state.backoff.succeeded()
            state.blocksInFlight -= 1
            state.eventsInFlight -= block.events.count
            guard state.blocksInFlight == 0 else { return [] }
            defer { state.drainWaiters.removeAll() }
            return state.drainWaiters
        }
        for waiter in waiters { waiter() }
    }
}
