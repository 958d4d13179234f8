import CRdKafka

/// Reads topics back by assigning partitions directly (no group join, so no session-timeout wait): for
/// tests and for `kelpie-load verify`. Not thread-safe: use one consumer from one thread at a time.
public final class KafkaPartitionConsumer: @unchecked Sendable {  // one user thread at a time, as documented
    /// What one poll returned.
    public enum Event: Sendable, Equatable {
        case record(KafkaRecord)
        /// The consumer has read everything currently in this partition.
        case endOfPartition(topic: String, partition: Int32)
        /// A consumer-side error; librdkafka keeps trying, the caller decides whether to wait on.
        case error(KafkaError)
    }

    private let handle: OpaquePointer

    /// `properties` go to librdkafka after the reader's own (no offset commits, end-of-partition events).
    public init(bootstrapServers: String, properties: [KafkaProperty] = []) throws(KafkaConfigurationError) {
        // A group id is required by the consumer API; assign() never joins the group.
        let conf = try KafkaClientConfiguration.make(
            [
                KafkaProperty(name: "bootstrap.servers", value: bootstrapServers),
                KafkaProperty(name: "group.id", value: "kelpie-reader"),
                KafkaProperty(name: "enable.auto.commit", value: "false"),
                KafkaProperty(name: "enable.auto.offset.store", value: "false"),
                KafkaProperty(name: "enable.partition.eof", value: "true"),
                KafkaProperty(name: "log_level", value: "3"),
            ] + properties
        )
        handle = try KafkaClientConfiguration.client(RD_KAFKA_CONSUMER, conf: conf)
        rd_kafka_poll_set_consumer(handle)
    }

    deinit {
        _ = rd_kafka_consumer_close(handle)
        rd_kafka_destroy(handle)
    }

    /// The topic's partition ids from cluster metadata; throws when the topic is unknown or the cluster
    /// does not answer within `timeout`.
    public func partitions(of topic: String, timeout: Duration) throws(KafkaError) -> [Int32] {
        guard let topicHandle = rd_kafka_topic_new(handle, topic, nil) else {
            throw KafkaError(rd_kafka_last_error())
        }
        defer { rd_kafka_topic_destroy(topicHandle) }
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let code = rd_kafka_metadata(handle, 0, topicHandle, &metadata, Self.milliseconds(timeout))
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else { throw KafkaError(code) }
        defer { rd_kafka_metadata_destroy(metadata) }
        guard metadata.pointee.topic_cnt > 0, let topics = metadata.pointee.topics else {
            throw KafkaError(RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC)
        }
        let entry = topics[0]
        if entry.err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(entry.err) }
        return (0..<Int(entry.partition_cnt)).map { entry.partitions[$0].id }.sorted()
    }

    /// Reads `partitions` of `topic` from their first offset (replaces any earlier assignment).
    public func assign(topic: String, partitions: [Int32]) throws(KafkaError) {
        try assign(partitions.map { (topic, $0) })
    }

    /// Reads every (topic, partition) from its first offset (replaces any earlier assignment).
    public func assign(_ partitions: [(topic: String, partition: Int32)]) throws(KafkaError) {
        let list = rd_kafka_topic_partition_list_new(Int32(partitions.count))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for (topic, partition) in partitions {
            rd_kafka_topic_partition_list_add(list, topic, partition).pointee.offset = Int64(RD_KAFKA_OFFSET_BEGINNING)
        }
        let code = rd_kafka_assign(handle, list)
        if code != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(code) }
    }

    /// The next record or event, or nil when nothing arrived within `timeout`.
    public func poll(timeout: Duration) -> Event? {
        guard let message = rd_kafka_consumer_poll(handle, Self.milliseconds(timeout)) else { return nil }
        defer { rd_kafka_message_destroy(message) }
        let m = message.pointee
        let topic = m.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? ""
        if m.err == RD_KAFKA_RESP_ERR__PARTITION_EOF { return .endOfPartition(topic: topic, partition: m.partition) }
        if m.err != RD_KAFKA_RESP_ERR_NO_ERROR { return .error(KafkaError(m.err)) }
        var headers: [KafkaRecord.Header] = []
        var list: OpaquePointer?
        if rd_kafka_message_headers(message, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list {
            var index = 0
            var name: UnsafePointer<CChar>?
            var value: UnsafeRawPointer?
            var size = 0
            while rd_kafka_header_get_all(list, index, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                headers.append(
                    KafkaRecord.Header(
                        name: name.map { String(cString: $0) } ?? "",
                        value: value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) } ?? []
                    )
                )
                index += 1
            }
        }
        return .record(
            KafkaRecord(
                topic: topic, partition: m.partition, offset: m.offset,
                key: m.key.map { Array(UnsafeRawBufferPointer(start: $0, count: m.key_len)) },
                value: m.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: m.len)) } ?? [],
                headers: headers
            )
        )
    }

    /// Everything currently in `topic`: assigns all its partitions from the beginning and reads until each
    /// has reported its end. Throws `_TIMED_OUT` when that has not happened by `timeout`.
    public func readAll(topic: String, timeout: Duration) throws(KafkaError) -> [KafkaRecord] {
        let deadline = ContinuousClock.now + timeout
        let partitions = try self.partitions(of: topic, timeout: timeout)
        try assign(topic: topic, partitions: partitions)
        var records: [KafkaRecord] = []
        var ended = Set<Int32>()
        while ended.count < partitions.count {
            guard ContinuousClock.now < deadline else { throw KafkaError(RD_KAFKA_RESP_ERR__TIMED_OUT) }
            switch poll(timeout: .milliseconds(100)) {
            case .record(let record): records.append(record)
            case .endOfPartition(_, let partition): ended.insert(partition)
            case .error, nil: continue
            }
        }
        return records
    }

    static func milliseconds(_ duration: Duration) -> Int32 {
        let (seconds, attoseconds) = duration.components
        return Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }
}
