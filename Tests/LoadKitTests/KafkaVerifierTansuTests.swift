import Foundation
import Locking
import KafkaSink
import Testing
import TestSupport

@testable import LoadKit

/// `verify` against a real Kafka-compatible broker (Tansu, started per test and stopped by PID): records
/// produced by Kelpie's own producer, read back by partition assignment.
@Suite(.serialized, .enabled(if: TansuBroker.shouldRun))
struct KafkaVerifierTansuTests {
    /// Kelpie's record value for one load event: the canonical line with the id in `data`.
    func event(run: String, sequence: Int, dataset: String) -> KafkaEvent {
        let id = AckLedger.id(runID: run, sequence: UInt64(sequence))
        return KafkaEvent(
            dataset: dataset, keyID: "k1",
            value: Array(#"{"dataset":"\#(dataset)","time":"2026-12-03T12:00:00Z","samplerate":1,"key_id":"k1","data":{"kelpie_load_id":"\#(id)","n":\#(sequence)}}"#.utf8)
        )
    }

    /// Produces `events` and waits for the block's delivery report.
    func produce(_ broker: TansuBroker, topic: String, batchEvents: Int, _ events: [KafkaEvent]) throws {
        let producer = try KafkaProducer(
            configuration: KafkaProducerConfiguration(
                bootstrapServers: broker.bootstrapServers, topic: KafkaTopicName(template: topic), batchEvents: batchEvents))
        let done = DispatchSemaphore(value: 0)
        let outcome = Lock<KafkaBlockResult.Outcome?>(nil)
        producer.submit(events) { result in
            outcome.withLock { $0 = result.outcome }
            done.signal()
        }
        #expect(done.wait(timeout: .now() + 30) == .success)
        #expect(outcome.withLock { $0 } == .delivered)
        let closed = DispatchSemaphore(value: 0)
        producer.close(deadline: .now + .seconds(10)) { closed.signal() }
        #expect(closed.wait(timeout: .now() + 45) == .success)
    }

    @Test func findsMissingAndDuplicatedEventsAcrossDatasetTopics() throws {
        let directory = try TemporaryDirectory(prefix: "kelpie-load-kafka")
        defer { directory.remove() }
        let broker = try TansuBroker(logPath: directory.file("tansu.log"))
        defer { broker.stop() }
        let template = "load.{dataset}"
        let datasets = ["ds-0", "ds-1"]
        // 60 acknowledged events spread over two dataset topics; sequence 17 never produced, 31 twice,
        // ds-1's records packed four events to a record; 99 (never acknowledged) present, another run's id ignored.
        var events = (0..<60).filter { $0 != 17 }.map { event(run: "r1", sequence: $0, dataset: datasets[$0 % 2]) }
        events.append(event(run: "r1", sequence: 31, dataset: "ds-1"))
        events.append(event(run: "r1", sequence: 99, dataset: "ds-0"))
        events.append(event(run: "other", sequence: 5, dataset: "ds-0"))
        try produce(broker, topic: template, batchEvents: 1, events.filter { $0.dataset == "ds-0" })
        try produce(broker, topic: template, batchEvents: 4, events.filter { $0.dataset == "ds-1" })

        let topics = try KafkaVerifier.topics(template: template, datasets: datasets)
        #expect(topics == ["load.ds-0", "load.ds-1"])
        let acknowledged = (0..<60).map { AckLedger.id(runID: "r1", sequence: UInt64($0)) }
        let report = try KafkaVerifier.verify(
            acknowledged: acknowledged, brokers: broker.bootstrapServers, topics: topics, runPrefix: "r1-",
            timeout: .seconds(30))
        #expect(report.topicsScanned == 2)
        #expect(report.linesScanned == 32 + 8)  // ds-0: 32 single records; ds-1: 30 events in 8 records
        #expect(report.acknowledged == 60)
        #expect(report.missingCount == 1)
        #expect(report.missingSample == [AckLedger.id(runID: "r1", sequence: 17)])
        #expect(report.duplicatedIDs == 1)
        #expect(report.duplicateSample == [AckLedger.id(runID: "r1", sequence: 31)])
        #expect(report.unacknowledgedPresent == 1)
        #expect(!report.passed)

        // With the single topic template every dataset maps to it; an acknowledged set that is all there passes.
        #expect(try KafkaVerifier.topics(template: "kelpie-events", datasets: datasets) == ["kelpie-events"])
        let complete = try KafkaVerifier.verify(
            acknowledged: acknowledged.filter { !$0.hasSuffix("17") }, brokers: broker.bootstrapServers,
            topics: topics, runPrefix: "r1-", timeout: .seconds(30))
        #expect(complete.passed)
    }

    @Test func anIllegalTopicTemplateIsAnInvalidArgument() throws {
        #expect(throws: LoadError.self) { try KafkaVerifier.topics(template: "bad topic", datasets: ["a"]) }
    }
}
