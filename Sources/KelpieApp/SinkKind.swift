/// Where events go after admission: `--sink`.
public enum SinkKind: String, Sendable, CaseIterable {
    /// The WAL segments under the data directory are the store (the embedded default).
    case spool
    /// Counts and discards; for measuring the server without storage.
    case null
    /// An idempotent `acks=all` librdkafka producer (docs/kafka.md).
    case kafka
}
