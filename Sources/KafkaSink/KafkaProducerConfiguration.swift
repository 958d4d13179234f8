/// Everything the producer is built from. librdkafka's own defaults apply to whatever is not named here;
/// `properties` override both (except the two settings an acknowledgement depends on).
public struct KafkaProducerConfiguration: Sendable {
    /// `bootstrap.servers`: `host:port[,host:port…]`.
    public var bootstrapServers: String
    public var topic: KafkaTopicName
    public var keyMode: KafkaKeyMode
    /// Up to this many events of one dataset (and key id and record key) share one record, newline
    /// separated; 1 = one event per record.
    public var batchEvents: Int
    /// Passed to librdkafka after the defaults below, in order.
    public var properties: [KafkaProperty]
    /// How often librdkafka reports statistics (queue depth, broker states) to the observer; 0 turns it off.
    public var statisticsIntervalMilliseconds: Int

    /// What Kelpie sets before the user's properties: the acknowledgement contract and the default codec.
    public static let defaultProperties: [KafkaProperty] = [
        KafkaProperty(name: "enable.idempotence", value: "true"),
        KafkaProperty(name: "acks", value: "all"),
        KafkaProperty(name: "compression.type", value: "zstd"),
    ]

    public init(
        bootstrapServers: String,
        topic: KafkaTopicName,
        keyMode: KafkaKeyMode = .dataset,
        batchEvents: Int = 1,
        properties: [KafkaProperty] = [],
        statisticsIntervalMilliseconds: Int = 1000
    ) {
        self.bootstrapServers = bootstrapServers
        self.topic = topic
        self.keyMode = keyMode
        self.batchEvents = batchEvents
        self.properties = properties
        self.statisticsIntervalMilliseconds = statisticsIntervalMilliseconds
    }

    /// The full property list handed to librdkafka, after checking the settings.
    func librdkafkaProperties() throws(KafkaConfigurationError) -> [KafkaProperty] {
        if bootstrapServers.isEmpty { throw .invalidSetting("Kafka bootstrap servers are empty") }
        if batchEvents < 1 { throw .invalidSetting("Kafka batch events must be at least 1, not \(batchEvents)") }
        for property in properties {
            switch property.name {
            case "acks", "request.required.acks":
                if property.value != "all" && property.value != "-1" {
                    throw .weakensAcknowledgement(name: property.name, value: property.value)
                }
            case "enable.idempotence":
                if property.value != "true" { throw .weakensAcknowledgement(name: property.name, value: property.value) }
            default:
                break
            }
        }
        var all = [KafkaProperty(name: "bootstrap.servers", value: bootstrapServers)] + Self.defaultProperties
        if statisticsIntervalMilliseconds > 0 {
            all.append(KafkaProperty(name: "statistics.interval.ms", value: String(statisticsIntervalMilliseconds)))
        }
        return all + properties
    }
}
