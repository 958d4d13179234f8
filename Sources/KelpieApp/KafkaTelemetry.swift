import KafkaSink
import Locking
public import Logging
import Prometheus

/// The Kafka producer's measurements as metrics, and librdkafka's errors and log lines as Kelpie log lines
/// (a client error is logged when its name changes, not on every repetition). Families are registered at
/// start-up when `--sink kafka` is chosen; docs/metrics.md lists them under "With `--sink kafka`".
final class KafkaTelemetry: KafkaProducerObserver {
    private let registry: PrometheusCollectorRegistry
    private let logger: Logger
    private let produceDuration: DurationHistogram
    private let recordsDelivered: Counter
    private let queuedRecords: Gauge
    private let brokersUp: Gauge
    private let rebuilds: Counter
    private let errorCounters = Lock<[String: Counter]>([:])
    private let lastClientError = Lock<String?>(nil)
    /// Set once the sink exists (the sink needs the producer, the producer this observer).
    let sink = Lock<KafkaPipelineSink?>(nil)

    init(registry: PrometheusCollectorRegistry, logger: Logger) {
        self.registry = registry
        self.logger = logger
        produceDuration = registry.makeDurationHistogram(
            descriptor: KelpieMetrics.name("kafka", "produce_duration", "seconds", "Time from handing a record to librdkafka to its acks=all delivery report."),
            buckets: KelpieMetrics.requestDurationBuckets
        )
        recordsDelivered = registry.makeCounter(descriptor: KelpieMetrics.name("kafka", "records_delivered", "total", "Kafka records acknowledged by all in-sync replicas."))
        queuedRecords = registry.makeGauge(descriptor: KelpieMetrics.name("kafka", "queued_records", "", "Records handed to librdkafka and not yet delivered or failed (its queue depth)."))
        brokersUp = registry.makeGauge(descriptor: KelpieMetrics.name("kafka", "brokers_up", "", "Brokers of the cluster with an open connection (from librdkafka's statistics)."))
        rebuilds = registry.makeCounter(descriptor: KelpieMetrics.name("kafka", "producer_rebuilds", "total", "Producers replaced after a fatal idempotence error (what they held was produced again)."))
        _ = errorCounter("none")
    }

    func recordDelivered(events: Int, bytes: Int, latency: Duration) {
        recordsDelivered.increment()
        produceDuration.record(latency)
    }

    func recordFailed(events: Int, error: KafkaError) {
        errorCounter(error.name).increment(by: Int64(events))
    }

    func statistics(_ snapshot: KafkaProducerStatistics) {
        queuedRecords.set(to: Double(snapshot.queuedRecords))
        brokersUp.set(to: Double(snapshot.brokersUp))
        if snapshot.brokersUp > 0 { sink.withLock { $0 }?.noteAllBrokersDown(false) }
    }

    func clientError(_ error: KafkaError, reason: String) {
        if error.name == "_ALL_BROKERS_DOWN" { sink.withLock { $0 }?.noteAllBrokersDown(true) }
        let changed = lastClientError.withLock { last -> Bool in
            defer { last = error.name }
            return last != error.name
        }
        if changed { logger.error("kafka client error", metadata: ["error": "\(error.name)", "reason": "\(reason)"]) }
    }

    func producerRebuilt(after error: KafkaError, reason: String, resubmittedRecords: Int) {
        rebuilds.increment()
        logger.error("kafka producer rebuilt after a fatal error", metadata: [
            "error": "\(error.name)", "reason": "\(reason)", "resubmitted_records": "\(resubmittedRecords)",
        ])
    }

    func clientLog(level: Int32, facility: String, message: String) {
        // syslog levels: 0–3 error, 4 warning, 5–6 info, 7 debug.
        let mapped: Logger.Level = level <= 3 ? .error : level == 4 ? .warning : level <= 6 ? .info : .debug
        logger.log(level: mapped, "librdkafka", metadata: ["facility": "\(facility)", "message": "\(message)"])
    }

    /// Events whose record failed, by librdkafka's error name (`none` is registered at start so the family
    /// is listed before the first failure).
    private func errorCounter(_ name: String) -> Counter {
        errorCounters.withLock { counters in
            if let existing = counters[name] { return existing }
            let made = registry.makeCounter(
                descriptor: KelpieMetrics.name("kafka", "errors", "total", "Events whose Kafka record failed (retried or dead-lettered), by librdkafka error name."),
                labels: [("error", name)]
            )
            counters[name] = made
            return made
        }
    }
}
