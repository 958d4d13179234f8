import CRdKafka
import Glibc
import Dispatch
import KafkaSink
import Locking
import TestSupport

/// Collects what the producer reports, for assertions.
final class RecordingObserver: KafkaProducerObserver {
    struct Seen {
        var deliveredRecords = 0
        var failedByName: [String: Int] = [:]
        var rebuilds = 0
        var statistics: [KafkaProducerStatistics] = []
    }

    let seen = Lock(Seen())

    func recordDelivered(events: Int, bytes: Int, latency: Duration) { seen.withLock { $0.deliveredRecords += 1 } }
    func recordFailed(events: Int, error: KafkaError) { seen.withLock { $0.failedByName[error.name, default: 0] += 1 } }
    func producerRebuilt(after error: KafkaError, reason: String, resubmittedRecords: Int) {
        seen.withLock { $0.rebuilds += 1 }
    }
    func statistics(_ snapshot: KafkaProducerStatistics) { seen.withLock { $0.statistics.append(snapshot) } }
}

enum WaitError: Error { case timedOut(String) }

/// Submits a block and waits for its result (or fails at `timeout`).
func deliver(
    _ producer: KafkaProducer, _ events: [KafkaEvent], timeout: Duration = .seconds(20)
) throws -> KafkaBlockResult {
    let pending = submit(producer, events)
    return try pending.wait(timeout: timeout)
}

/// A submitted block whose result a test waits for later.
final class PendingResult: @unchecked Sendable {  // `result` is written once before the semaphore signals
    private let done = DispatchSemaphore(value: 0)
    private var result: KafkaBlockResult?

    func complete(_ result: KafkaBlockResult) {
        self.result = result
        done.signal()
    }

    func wait(timeout: Duration) throws -> KafkaBlockResult {
        let milliseconds = Int(timeout.components.seconds * 1000)
        guard done.wait(timeout: .now() + .milliseconds(milliseconds)) == .success, let result else {
            throw WaitError.timedOut("no block result within \(timeout)")
        }
        return result
    }

    /// True if the block completed within `timeout` (then `wait` returns at once).
    func isComplete(within timeout: Duration) -> Bool {
        let milliseconds = Int(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        guard done.wait(timeout: .now() + .milliseconds(milliseconds)) == .success else { return false }
        done.signal()
        return true
    }
}

func submit(_ producer: KafkaProducer, _ events: [KafkaEvent]) -> PendingResult {
    let pending = PendingResult()
    producer.submit(events) { pending.complete($0) }
    return pending
}

/// Closes the producer and waits for it.
func close(_ producer: KafkaProducer, within timeout: Duration = .seconds(10)) {
    let done = DispatchSemaphore(value: 0)
    producer.close(deadline: .now + timeout) { done.signal() }
    _ = done.wait(timeout: .now() + .seconds(Int(timeout.components.seconds) + 35))
}

/// Events numbered 0..<count of one dataset, each value a small JSON object that names its number.
func numberedEvents(_ count: Int, dataset: String = "checkout", keyID: String = "k1", from start: Int = 0) -> [KafkaEvent] {
    (start..<start + count).map { number in
        KafkaEvent(
            dataset: dataset, keyID: keyID, traceID: "trace-\(number % 3)",
            value: Array(#"{"dataset":"\#(dataset)","data":{"n":\#(number)}}"#.utf8)
        )
    }
}

/// The `n` of a value made by ``numberedEvents(_:dataset:keyID:from:)``.
func eventNumber(_ value: some Sequence<UInt8>) -> Int? {
    let text = String(decoding: Array(value), as: UTF8.self)
    guard let range = text.firstRange(of: #""n":"#) else { return nil }
    return Int(text[range.upperBound...].prefix { $0.isNumber })
}
