import Foundation
import Testing
import TestSupport
@testable import KafkaSink

/// The producer and the reader against a real Kafka-compatible broker (Tansu), started per test.
/// Runs whenever Tansu is installed, and always under CI, where a missing broker fails the run.
@Suite(.serialized, .enabled(if: TansuBroker.shouldRun))
struct KafkaProducerTansuTests {
    func withTansu(_ body: (TansuBroker) throws -> Void) throws {
        let directory = try TemporaryDirectory(prefix: "kelpie-tansu")
        defer { directory.remove() }
        let broker = try TansuBroker(logPath: directory.file("tansu.log"))
        defer { broker.stop() }
        try body(broker)
    }

    func makeProducer(
        _ broker: TansuBroker, topic: String, keyMode: KafkaKeyMode = .dataset, batchEvents: Int = 1
    ) throws -> KafkaProducer {
        try KafkaProducer(
            configuration: KafkaProducerConfiguration(
                bootstrapServers: broker.bootstrapServers, topic: KafkaTopicName(template: topic), keyMode: keyMode,
                batchEvents: batchEvents
            )
        )
    }

    func readBack(_ broker: TansuBroker, topic: String) throws -> [KafkaRecord] {
        let consumer = try KafkaPartitionConsumer(bootstrapServers: broker.bootstrapServers)
        return try consumer.readAll(topic: topic, timeout: .seconds(20))
    }

    @Test func eventsRoundTripWithTheDocumentedKeysAndHeaders() throws {
        try withTansu { broker in
            let producer = try makeProducer(broker, topic: "kelpie-events")
            defer { close(producer) }
            let events = numberedEvents(40, dataset: "checkout", keyID: "key-a") + numberedEvents(10, dataset: "search", keyID: "key-b", from: 40)
            let result = try deliver(producer, events)
            #expect(result.outcome == .delivered, "\(result.failures.prefix(3))")
            let records = try readBack(broker, topic: "kelpie-events")
            #expect(records.count == 50)
            #expect(Set(records.map(\.value)) == Set(events.map(\.value)))
            for record in records {
                let number = try #require(eventNumber(record.value))
                let dataset = number < 40 ? "checkout" : "search"
                #expect(record.key == Array(dataset.utf8))
                #expect(record.header("kelpie-dataset") == dataset)
                #expect(record.header("kelpie-key-id") == (number < 40 ? "key-a" : "key-b"))
                #expect(record.header("content-type") == "application/json")
            }
            // One dataset, one key, one partition: its events keep their order.
            let checkout = records.filter { $0.header("kelpie-dataset") == "checkout" }
            #expect(Set(checkout.map(\.partition)).count == 1)
            #expect(checkout.compactMap { eventNumber($0.value) } == Array(0..<40))
        }
    }

    @Test func aDatasetTopicTemplateMapsAnyDatasetNameToALegalTopic() throws {
        try withTansu { broker in
            let producer = try makeProducer(broker, topic: "events.{dataset}")
            defer { close(producer) }
            let dataset = "my app/prod ünïcode"
            let result = try deliver(producer, numberedEvents(3, dataset: dataset))
            #expect(result.outcome == .delivered, "\(result.failures.prefix(3))")
            let topic = try KafkaTopicName(template: "events.{dataset}").topic(forDataset: dataset)
            #expect(topic.hasPrefix("events.my_app_prod_"))
            let records = try readBack(broker, topic: topic)
            #expect(records.count == 3)
            #expect(records.allSatisfy { $0.header("kelpie-dataset") == dataset })
        }
    }

    @Test func traceAndRandomKeyModes() throws {
        try withTansu { broker in
            let traced = try makeProducer(broker, topic: "traced", keyMode: .trace)
            defer { close(traced) }
            var events = numberedEvents(6)
            events[5].traceID = nil
            #expect(try deliver(traced, events).outcome == .delivered)
            let keys = try readBack(broker, topic: "traced").map { record in
                (eventNumber(record.value)!, record.key.map { String(decoding: $0, as: UTF8.self) })
            }.sorted { $0.0 < $1.0 }.map(\.1)
            // numberedEvents gives event n the trace "trace-(n % 3)"; without a trace the key is the dataset.
            #expect(keys == ["trace-0", "trace-1", "trace-2", "trace-0", "trace-1", "checkout"])

            let random = try makeProducer(broker, topic: "unkeyed", keyMode: .random)
            defer { close(random) }
            #expect(try deliver(random, numberedEvents(5)).outcome == .delivered)
            #expect(try readBack(broker, topic: "unkeyed").allSatisfy { $0.key == nil })
        }
    }

    @Test func packedRecordsRoundTrip() throws {
        try withTansu { broker in
            let producer = try makeProducer(broker, topic: "packed", batchEvents: 8)
            defer { close(producer) }
            let events = numberedEvents(20)
            #expect(try deliver(producer, events).outcome == .delivered)
            let records = try readBack(broker, topic: "packed").sorted { $0.offset < $1.offset }
            #expect(records.map { $0.value.split(separator: 0x0A).count } == [8, 8, 4])
            #expect(records.allSatisfy { $0.header("content-type") == "application/x-ndjson" })
            let lines = records.flatMap { $0.value.split(separator: 0x0A).map(Array.init) }
            #expect(lines == events.map(\.value))
        }
    }
}
