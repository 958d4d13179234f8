/// One canonical event handed to the Kafka producer: what it needs to route, key and label the record.
/// The value is the event's canonical JSON line without its newline (what `kelpie spool cat` prints).
public struct KafkaEvent: Sendable {
    /// The dataset as the client named it; goes into the `kelpie-dataset` header unchanged and, mapped by
    /// ``KafkaTopicName``, into the topic when the template uses `{dataset}`.
    public var dataset: String
    /// The digest that identifies the API key (never the key itself); the `kelpie-key-id` header.
    public var keyID: String
    /// `trace.trace_id` when the event carries one; the record key in ``KafkaKeyMode/trace``.
    public var traceID: String?
    public var value: [UInt8]

    public init(dataset: String, keyID: String, traceID: String? = nil, value: [UInt8]) {
        self.dataset = dataset
        self.keyID = keyID
        self.traceID = traceID
        self.value = value
    }
}
