public import CRdKafka

/// librdkafka's in-process mock cluster (real sockets on 127.0.0.1) with its fault injection, owned by
/// a bare "holder" handle, destroyed with this object.
public final class MockCluster: @unchecked Sendable {  // the mock API is thread-safe; pointers are fixed after init
    private let holder: OpaquePointer
    public let cluster: OpaquePointer
    public let bootstrapServers: String

    public init(brokers: Int32 = 3) {
        let conf = rd_kafka_conf_new()
        var message = [CChar](repeating: 0, count: 256)
        // The holder talks to no broker; keep its configuration warnings out of the test output.
        _ = rd_kafka_conf_set(conf, "log_level", "0", &message, message.count)
        holder = rd_kafka_new(RD_KAFKA_PRODUCER, conf, &message, message.count)!
        cluster = rd_kafka_mock_cluster_new(holder, brokers)!
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
    }

    deinit {
        rd_kafka_mock_cluster_destroy(cluster)
        rd_kafka_destroy(holder)
    }

    public func createTopic(_ topic: String, partitions: Int32, leader: Int32? = nil) {
        precondition(rd_kafka_mock_topic_create(cluster, topic, partitions, 3) == RD_KAFKA_RESP_ERR_NO_ERROR)
        if let leader {
            for partition in 0..<partitions { setLeader(topic, partition: partition, broker: leader) }
        }
    }

    public func setLeader(_ topic: String, partition: Int32, broker: Int32) {
        precondition(rd_kafka_mock_partition_set_leader(cluster, topic, partition, broker) == RD_KAFKA_RESP_ERR_NO_ERROR)
    }

    public func setDown(_ broker: Int32) { _ = rd_kafka_mock_broker_set_down(cluster, broker) }
    public func setUp(_ broker: Int32) { _ = rd_kafka_mock_broker_set_up(cluster, broker) }

    /// The next Produce requests (any broker) answer these errors, one per request, in order.
    public func failNextProduceRequests(_ errors: [rd_kafka_resp_err_t]) {
        var errors = errors
        rd_kafka_mock_push_request_errors_array(cluster, 0 /* ApiKey Produce */, errors.count, &errors)
    }

    /// Metadata for `topic` reports this error (UNKNOWN_TOPIC_OR_PART: the topic does not exist).
    public func setTopicError(_ topic: String, _ error: rd_kafka_resp_err_t) {
        rd_kafka_mock_topic_set_error(cluster, topic, error)
    }
}
