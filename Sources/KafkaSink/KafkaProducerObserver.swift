/// Receives the producer's measurements for metrics and logs. Called on the producer's poll thread
/// (`clientLog` also from librdkafka's own threads), so implementations must be cheap and thread-safe.
public protocol KafkaProducerObserver: Sendable {
    /// One record was acknowledged by all in-sync replicas, `latency` after it was handed to librdkafka.
    func recordDelivered(events: Int, bytes: Int, latency: Duration)
    /// One record failed for good or for now; `error.name` is the label for "errors by name".
    func recordFailed(events: Int, error: KafkaError)
    /// A periodic snapshot (every `statisticsIntervalMilliseconds`).
    func statistics(_ snapshot: KafkaProducerStatistics)
    /// A client-level error librdkafka recovers from by itself (`_TRANSPORT`, `_ALL_BROKERS_DOWN`, …).
    func clientError(_ error: KafkaError, reason: String)
    /// A fatal idempotence error replaced the librdkafka producer; `resubmittedRecords` records it held
    /// were produced again on the new one (those already written may arrive twice).
    func producerRebuilt(after error: KafkaError, reason: String, resubmittedRecords: Int)
    /// librdkafka's own log lines (syslog levels: 0 emergency … 7 debug).
    func clientLog(level: Int32, facility: String, message: String)
}

extension KafkaProducerObserver {
    public func recordDelivered(events: Int, bytes: Int, latency: Duration) {}
    public func recordFailed(events: Int, error: KafkaError) {}
    public func statistics(_ snapshot: KafkaProducerStatistics) {}
    public func clientError(_ error: KafkaError, reason: String) {}
    public func producerRebuilt(after error: KafkaError, reason: String, resubmittedRecords: Int) {}
    public func clientLog(level: Int32, facility: String, message: String) {}
}

/// Stands in when no observer is given, so the producer never branches on an optional.
struct NoopKafkaProducerObserver: KafkaProducerObserver {}

/// What the producer reports periodically.
public struct KafkaProducerStatistics: Sendable, Equatable {
    /// Records handed to librdkafka and not yet delivered or failed (`rd_kafka_outq_len`).
    public var queuedRecords: Int
    /// Brokers of the cluster (bootstrap entries excluded) and how many have an open connection ("UP").
    public var brokers: Int
    public var brokersUp: Int
}
