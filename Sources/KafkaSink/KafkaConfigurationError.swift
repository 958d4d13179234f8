/// A configuration the producer or consumer refuses before it talks to any broker.
public enum KafkaConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `--kafka-property` is not `NAME=VALUE`.
    case malformedProperty(String)
    /// librdkafka rejected a property (unknown name, bad value); its own message.
    case rejectedProperty(name: String, message: String)
    /// A property would weaken what an acknowledgement promises (`acks` other than all, idempotence off).
    case weakensAcknowledgement(name: String, value: String)
    case invalidTopicTemplate(String, reason: String)
    /// `batchEvents` below 1, no bootstrap servers, …
    case invalidSetting(String)
    /// `rd_kafka_new` failed.
    case clientCreationFailed(String)

    public var description: String {
        switch self {
        case .malformedProperty(let text): "Kafka property \"\(text)\" is not NAME=VALUE"
        case .rejectedProperty(let name, let message): "Kafka property \(name): \(message)"
        case .weakensAcknowledgement(let name, let value):
            "Kafka property \(name)=\(value) would weaken what an acknowledgement promises (acks=all and idempotence are required)"
        case .invalidTopicTemplate(let template, let reason): "Kafka topic template \"\(template)\": \(reason)"
        case .invalidSetting(let text): text
        case .clientCreationFailed(let message): "creating the Kafka client failed: \(message)"
        }
    }
}
