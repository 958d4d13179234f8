import ArgumentParser
import KafkaSink
import LoadKit

/// Where `verify` (and `run --verify`) reads a Kafka-sinked run back: the brokers and the topic template
/// Kelpie was given (`--kafka-brokers`, `--kafka-topic`).
struct KafkaVerifyOptions: ParsableArguments {
    @Option(help: "Verify against these Kafka bootstrap servers (the kelpie --kafka-brokers) instead of a spool.")
    var kafkaBrokers: String?

    @Option(help: "The kelpie --kafka-topic; {dataset} is resolved for each dataset of the run as Kelpie maps it.")
    var kafkaTopic: String = "kelpie-events"

    @Option(help: "librdkafka property NAME=VALUE for the reader (SASL, TLS); repeatable.")
    var kafkaProperty: [String] = []

    @Option(help: "Kafka: give up when the topics are not read to their end within this time.")
    var kafkaTimeout: String = "120s"

    @Option(help: "Kafka: after reading to the end, wait this long for acknowledged events still missing (a durable forwarder still delivering).")
    var kafkaSettle: String = "0s"

    func verify(acknowledged: [String], datasets: [String], runPrefix: String?) throws(LoadError) -> VerifyReport? {
        guard let kafkaBrokers else { return nil }
        var properties: [KafkaProperty] = []
        for text in kafkaProperty {
            do {
                properties.append(try KafkaProperty(parsing: text))
            } catch {
                throw .invalidArgument(error.description)
            }
        }
        return try KafkaVerifier.verify(
            acknowledged: acknowledged, brokers: kafkaBrokers,
            topics: KafkaVerifier.topics(template: kafkaTopic, datasets: datasets), runPrefix: runPrefix,
            properties: properties, timeout: .nanoseconds(try LoadPlan.parseDuration(kafkaTimeout)),
            settle: .nanoseconds(try LoadPlan.parseDuration(kafkaSettle)))
    }
}
