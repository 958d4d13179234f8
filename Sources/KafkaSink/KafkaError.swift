import CRdKafka

/// A librdkafka error as the producer reports it: the numeric code, librdkafka's stable name for it
/// (`MSG_SIZE_TOO_LARGE`, `_MSG_TIMED_OUT`, …; the label for error metrics) and its text.
public struct KafkaError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `rd_kafka_resp_err_t`: broker error codes are positive, librdkafka-local ones negative.
    public let code: Int32
    public let name: String
    public let message: String

    init(_ error: rd_kafka_resp_err_t) {
        code = error.rawValue
        name = String(cString: rd_kafka_err2name(error))
        message = String(cString: rd_kafka_err2str(error))
    }

    init(code: Int32) {
        self.init(rd_kafka_resp_err_t(rawValue: code))
    }

    public var description: String { "\(name): \(message)" }

    /// Whether resubmitting the same record later can succeed (see ``KafkaFailureDisposition``).
    public var disposition: KafkaFailureDisposition {
        Self.permanentCauses[code].map { .deadLetter($0) } ?? .retriable
    }

    /// Errors that no retry fixes: what the broker will never accept as it is configured. librdkafka has
    /// already retried everything retriable before a delivery report carries an error; everything not
    /// listed here (timeouts, transport, purge at shutdown, full local queue, …) is worth resubmitting.
    private static let permanentCauses: [Int32: KafkaDeadLetterCause] = {
        var causes: [Int32: KafkaDeadLetterCause] = [:]
        for error in [
            RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE,
        ] { causes[error.rawValue] = .recordTooLarge }
        for error in [
            RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC,
            RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION, RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION,
        ] { causes[error.rawValue] = .unknownTopic }
        for error in [
            RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED,
            RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
        ] { causes[error.rawValue] = .authorization }
        for error in [
            RD_KAFKA_RESP_ERR_INVALID_RECORD, RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP,
            RD_KAFKA_RESP_ERR_POLICY_VIOLATION, RD_KAFKA_RESP_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT,
            RD_KAFKA_RESP_ERR__INVALID_ARG, RD_KAFKA_RESP_ERR__BAD_MSG,
        ] { causes[error.rawValue] = .rejected }
        return causes
    }()
}

/// What a failed record's events need next.
public enum KafkaFailureDisposition: Sendable, Equatable {
    /// Submit again later (the broker was unreachable, too slow, shutting down, the local queue was full).
    case retriable
    /// Never deliverable as it is: set aside in the dead-letter spool, counted, answered as an error.
    case deadLetter(KafkaDeadLetterCause)
}

/// Why an event was set aside for good; the label of the dead-letter metric and log line.
public enum KafkaDeadLetterCause: String, Sendable, CaseIterable {
    /// Larger than `message.max.bytes` (librdkafka's check) or the topic's `max.message.bytes` (broker's).
    case recordTooLarge = "record_too_large"
    /// The topic does not exist and the cluster does not auto-create it.
    case unknownTopic = "unknown_topic"
    /// The credentials may not write to the topic or the cluster.
    case authorization
    /// Any other refusal of the record itself (invalid record, policy violation, …).
    case rejected
}
