/// What becomes the record key, which decides the partition (and so what keeps its order).
public enum KafkaKeyMode: String, Sendable, CaseIterable {
    /// The dataset name: one dataset's events stay in order within one partition; a busy dataset makes
    /// a hot partition.
    case dataset
    /// The event's trace id when it has one (one trace stays together), else the dataset name.
    case trace
    /// No key: librdkafka's partitioner spreads records over all partitions; no ordering at all.
    case random
}
