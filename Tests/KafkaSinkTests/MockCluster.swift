import CRdKafka
import Glibc
import Dispatch
import KafkaSink
import Synchronization

/// librdkafka's in-process mock cluster (real sockets on 127.0.0.1) with its fault injection, owned by
/// a bare "holder" handle. Lives until ``destroy()`` (or deinit).
final class MockCluster: @unchecked Sendable {  // the mock API is thread-safe; pointers are fixed after init
    private let holder: OpaquePointer
    let cluster: OpaquePointer
    let bootstrapServers: String

    init(brokers: Int32 = 3) {
        let conf = rd_kafka_conf_new()
        var message = [CChar](repeating: 0, count: 256)
        // The holder talks to no broker; keep its configuration warnings out of the test output.
        _ = rd_kafka_conf_set(conf, "log_level", "0", &message, message.count)
        holder = rd_kafka_new(RD_KAFKA_PRODUCER, conf, &message, message.count)!
        cluster = rd_kafka_mock_cluster_new(holder, brokers)!
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
    }

    deinit {
        rd_kafka_mock_cluster_destroy(cluster)
        rd_kafka_destroy(holder)
    }

    func createTopic(_ topic: String, partitions: Int32, leader: Int32? = nil) {
        precondition(rd_kafka_mock_topic_create(cluster, topic, partitions, 3) == RD_KAFKA_RESP_ERR_NO_ERROR)
        if let leader {
            for partition in 0..<partitions { setLeader(topic, partition: partition, broker: leader) }
        }
    }

    func setLeader(_ topic: String, partition: Int32, broker: Int32) {
        precondition(rd_kafka_mock_partition_set_leader(cluster, topic, partition, broker) == RD_KAFKA_RESP_ERR_NO_ERROR)
    }

    func setDown(_ broker: Int32) { _ = rd_kafka_mock_broker_set_down(cluster, broker) }
    func setUp(_ broker: Int32) { _ = rd_kafka_mock_broker_set_up(cluster, broker) }

    /// The next Produce requests (any broker) answer these errors, one per request, in order.
    func failNextProduceRequests(_ errors: [rd_kafka_resp_err_t]) {
        var errors = errors
        rd_kafka_mock_push_request_errors_array(cluster, 0 /* ApiKey Produce */, errors.count, &errors)
    }

    /// Metadata for `topic` reports this error (UNKNOWN_TOPIC_OR_PART: the topic does not exist).
    func setTopicError(_ topic: String, _ error: rd_kafka_resp_err_t) {
        rd_kafka_mock_topic_set_error(cluster, topic, error)
    }
}

/// Collects what the producer reports, for assertions.
final class RecordingObserver: KafkaProducerObserver {
    struct Seen {
        var deliveredRecords = 0
        var failedByName: [String: Int] = [:]
        var rebuilds = 0
        var statistics: [KafkaProducerStatistics] = []
    }

    let seen = Mutex(Seen())

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

/// Polls `condition` every 10 ms until it holds or `timeout` passes; returns whether it held.
func waitUntil(timeout: Duration, _ condition: () -> Bool) -> Bool {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        if ContinuousClock.now >= deadline { return false }
        _ = usleepMilliseconds(10)
    }
    return true
}

private func usleepMilliseconds(_ milliseconds: Int) -> Int32 {
    var request = timespec(tv_sec: 0, tv_nsec: milliseconds * 1_000_000)
    return nanosleep(&request, nil)
}

/// The `n` of a value made by ``numberedEvents(_:dataset:keyID:from:)``.
func eventNumber(_ value: some Sequence<UInt8>) -> Int? {
    let text = String(decoding: Array(value), as: UTF8.self)
    guard let range = text.firstRange(of: #""n":"#) else { return nil }
    return Int(text[range.upperBound...].prefix { $0.isNumber })
}
