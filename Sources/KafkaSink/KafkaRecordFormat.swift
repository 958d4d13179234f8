/// The record layout consumers rely on (docs/kafka.md): value = canonical JSON line(s), these headers.
public enum KafkaRecordFormat {
    /// The dataset as the client sent it (the topic may hold a mapped form of it).
    public static let datasetHeader = "kelpie-dataset"
    /// The API key's identity digest, the same `key_id` as in the value.
    public static let keyIDHeader = "kelpie-key-id"
    public static let contentTypeHeader = "content-type"
    /// One event per record: the value is one canonical JSON object, no trailing newline.
    public static let singleEventContentType = "application/json"
    /// Packed records (`batchEvents` > 1): canonical JSON objects joined by "\n", no trailing newline.
    public static let packedEventsContentType = "application/x-ndjson"
    /// Separator between the events of a packed record.
    public static let packedEventSeparator: UInt8 = 0x0A
}
