import CRdKafka

/// Builds an `rd_kafka_conf_t` from properties, reporting the first one librdkafka rejects.
enum KafkaClientConfiguration {
    /// The caller owns the result until it hands it to `rd_kafka_new` (which takes it on success).
    static func make(_ properties: [KafkaProperty]) throws(KafkaConfigurationError) -> OpaquePointer {
        let conf = rd_kafka_conf_new()!
        var message = [CChar](repeating: 0, count: 512)
        for property in properties {
            let result = rd_kafka_conf_set(conf, property.name, property.value, &message, message.count)
            if result != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                throw .rejectedProperty(name: property.name, message: String(nulTerminated: message))
            }
        }
        return conf
    }

    /// `rd_kafka_new`; frees `conf` when creation fails.
    static func client(
        _ type: rd_kafka_type_t, conf: OpaquePointer
    ) throws(KafkaConfigurationError) -> OpaquePointer {
        var message = [CChar](repeating: 0, count: 512)
        guard let handle = rd_kafka_new(type, conf, &message, message.count) else {
            rd_kafka_conf_destroy(conf)
            throw .clientCreationFailed(String(nulTerminated: message))
        }
        return handle
    }
}

extension String {
    /// The text librdkafka wrote into an error buffer, up to its terminating NUL.
    init(nulTerminated buffer: [CChar]) {
        self.init(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
