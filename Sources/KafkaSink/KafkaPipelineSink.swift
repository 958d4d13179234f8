import Dispatch
import Locking
public import Pipeline

/// The pipeline's `Sink` over ``KafkaProducer``: each block's canonical lines become ``KafkaEvent``s (value =
/// the line, as `kelpie spool cat` prints it), produced idempotently with `acks=all`.
///
/// librdkafka retries transient errors itself until `message.timeout.ms`. A block that still ends with
/// retriable failures (brokers down for that long, the local queue full) is not reported failed as a whole,
/// which would make the pipeline hand over its delivered events again: only the failed events are produced
/// again, after a jittered backoff, and the block completes once every event is delivered or dead-lettered.
/// Dead-letter causes (record too large, unknown topic, not authorised, rejected) come back as rejections.
public final class KafkaPipelineSink: Sink {
    public let name = "kafka"
    public let producer: KafkaProducer
    private let resubmitQueue = DispatchQueue(label: "kelpie.kafka.resubmit")
    /// Consecutive retriable block results, for the backoff; and the broker reachability last seen.
    private let state = Lock((backoff: RetryBackoff(base: .milliseconds(200), cap: .seconds(5)), allBrokersDown: false))
    /// Told how many events are produced again: a record librdkafka timed out may still have reached the
    /// broker, so each resubmission is a possible duplicate (counted as a redelivery).
    private let resubmitted: @Sendable (Int) -> Void

    public init(producer: KafkaProducer, resubmitted: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.producer = producer
        self.resubmitted = resubmitted
    }

    public func deliver(_ block: SinkBlock, completion: @escaping @Sendable (SinkOutcome) -> Void) {
        let events = block.events.indices.map { index in
            let line = block.line(of: index)
            return KafkaEvent(
                dataset: block.dataset(of: index), keyID: block.keyID(of: index),
                traceID: producer.configuration.keyMode == .trace ? TraceIDScanner.traceID(in: line) : nil,
                value: Array(line)
            )
        }
        produce(events, positions: Array(events.indices), rejected: [], completion: completion)
    }

    /// Produces `events` (at `positions` of the original block) and completes once each is delivered or
    /// rejected, producing the retriable failures again after a backoff.
    private func produce(
        _ events: [KafkaEvent], positions: [Int], rejected: [SinkRejection],
        completion: @escaping @Sendable (SinkOutcome) -> Void
    ) {
        producer.submit(events) { [self] result in
            var rejected = rejected
            var retry: [Int] = []
            for failure in result.failures {
                switch failure.error.disposition {
                case .deadLetter(let cause):
                    rejected.append(SinkRejection(eventIndex: positions[failure.index], reason: cause.rawValue))
                case .retriable:
                    retry.append(failure.index)
                }
            }
            guard !retry.isEmpty else {
                state.withLock { $0.backoff.succeeded() }
                completion(.delivered(rejected: rejected))
                return
            }
            if producer.isClosed {
                // Shutting down: the pipeline keeps what is undelivered (WAL) or counts it.
                completion(.failed(reason: "closing"))
                return
            }
            // Half to full jitter: librdkafka has already waited `message.timeout.ms` before this.
            let wait = state.withLock { $0.backoff.failed(unitRandom: Double.random(in: 0.5...1)) }
            let again = retry.map { events[$0] }
            let againPositions = retry.map { positions[$0] }
            let rejectedSoFar = rejected
            resubmitted(again.count)
            resubmitQueue.asyncAfter(deadline: .now() + .milliseconds(Int(wait / .milliseconds(1)))) {
                self.produce(again, positions: againPositions, rejected: rejectedSoFar, completion: completion)
            }
        }
    }

    public func flush(timeout: Duration) -> Bool {
        let done = DispatchSemaphore(value: 0)
        let flushed = Lock(false)
        producer.flush(deadline: .now + timeout) { ok in
            flushed.withLock { $0 = ok }
            done.signal()
        }
        done.wait()
        return flushed.withLock { $0 }
    }

    public func close() {
        let done = DispatchSemaphore(value: 0)
        producer.close(deadline: .now + .seconds(5)) { done.signal() }
        done.wait()
    }

    /// False once librdkafka reports every broker down, until a statistics snapshot shows one up again.
    public var isReachable: Bool {
        let statistics = producer.statistics
        if statistics.brokers > 0 { return statistics.brokersUp > 0 }
        return !state.withLock { $0.allBrokersDown }
    }

    /// Fed by the observer: `_ALL_BROKERS_DOWN` and recovery.
    public func noteAllBrokersDown(_ down: Bool) {
        state.withLock { $0.allBrokersDown = down }
    }
}
