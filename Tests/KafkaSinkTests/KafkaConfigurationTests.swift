import Testing
@testable import KafkaSink

struct KafkaConfigurationTests {
    @Test func propertiesParseAsNameEqualsValue() throws {
        #expect(try KafkaProperty(parsing: "sasl.password=a=b") == KafkaProperty(name: "sasl.password", value: "a=b"))
        #expect(try KafkaProperty(parsing: "linger.ms=") == KafkaProperty(name: "linger.ms", value: ""))
        #expect(throws: KafkaConfigurationError.malformedProperty("linger.ms")) { try KafkaProperty(parsing: "linger.ms") }
        #expect(throws: KafkaConfigurationError.malformedProperty("=5")) { try KafkaProperty(parsing: "=5") }
    }

    func configuration(_ properties: [KafkaProperty], batchEvents: Int = 1) throws -> KafkaProducerConfiguration {
        KafkaProducerConfiguration(
            bootstrapServers: "127.0.0.1:1", topic: try KafkaTopicName(template: "t"), batchEvents: batchEvents,
            properties: properties
        )
    }

    @Test func theAcknowledgementContractCannotBeWeakened() throws {
        for (name, value) in [("acks", "1"), ("acks", "0"), ("request.required.acks", "1"), ("enable.idempotence", "false")] {
            #expect(throws: KafkaConfigurationError.weakensAcknowledgement(name: name, value: value)) {
                try configuration([KafkaProperty(name: name, value: value)]).librdkafkaProperties()
            }
        }
        let allowed = try configuration([KafkaProperty(name: "acks", value: "-1"), KafkaProperty(name: "linger.ms", value: "20")])
            .librdkafkaProperties()
        #expect(allowed.first == KafkaProperty(name: "bootstrap.servers", value: "127.0.0.1:1"))
        #expect(allowed.contains(KafkaProperty(name: "compression.type", value: "zstd")))
        // Passthrough comes last, so it overrides the defaults.
        #expect(allowed.last == KafkaProperty(name: "linger.ms", value: "20"))
    }

    @Test func librdkafkaRejectsUnknownPropertiesBeforeAnyBrokerIsContacted() throws {
        #expect(throws: KafkaConfigurationError.self) {
            try KafkaProducer(configuration: configuration([KafkaProperty(name: "no.such.property", value: "1")]))
        }
        #expect(throws: KafkaConfigurationError.self) {
            try KafkaProducer(configuration: configuration([KafkaProperty(name: "compression.type", value: "brotli")]))
        }
        #expect(throws: KafkaConfigurationError.self) {
            try KafkaProducer(configuration: configuration([], batchEvents: 0))
        }
    }

    @Test func theLinkedLibrdkafkaIsThePinnedOne() {
        #expect(KafkaProducer.librdkafkaVersion == "2.8.0")
    }
}
