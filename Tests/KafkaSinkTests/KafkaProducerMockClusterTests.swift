import CRdKafka
import Testing
import TestSupport
@testable import KafkaSink

/// The producer against librdkafka's in-process mock cluster: faults on demand.
@Suite(.serialized)
struct KafkaProducerMockClusterTests {
    /// Fast failure settings: outages turn into delivery reports within seconds instead of minutes.
    static let quickFailure = [
        KafkaProperty(name: "reconnect.backoff.ms", value: "50"),
        KafkaProperty(name: "reconnect.backoff.max.ms", value: "500"),
    ]

    func makeProducer(
        _ mock: MockCluster, topic: String = "events", keyMode: KafkaKeyMode = .dataset, batchEvents: Int = 1,
        properties: [KafkaProperty] = [], observer: RecordingObserver? = nil
    ) throws -> KafkaProducer {
        try KafkaProducer(
            configuration: KafkaProducerConfiguration(
                bootstrapServers: mock.bootstrapServers, topic: KafkaTopicName(template: topic), keyMode: keyMode,
                batchEvents: batchEvents, properties: Self.quickFailure + properties, statisticsIntervalMilliseconds: 100
            ),
            observer: observer
        )
    }

    func readBack(_ mock: MockCluster, topic: String) throws -> [KafkaRecord] {
        let consumer = try KafkaPartitionConsumer(bootstrapServers: mock.bootstrapServers)
        return try consumer.readAll(topic: topic, timeout: .seconds(20))
    }

    /// A one-partition topic led by broker 1, a producer that has already delivered one event there (so it
    /// knows the leader) and waits up to 60 s per record, then broker 1 goes down.
    func producerWithLeaderDown(
        _ mock: MockCluster, observer: RecordingObserver? = nil
    ) throws -> KafkaProducer {
        mock.createTopic("events", partitions: 1, leader: 1)
        let producer = try makeProducer(
            mock, properties: [KafkaProperty(name: "message.timeout.ms", value: "60000")], observer: observer
        )
        #expect(try deliver(producer, numberedEvents(1)).outcome == .delivered)
        mock.setDown(1)
        return producer
    }

    @Test func aBlockIsDeliveredAndReadsBackWithKeysAndHeaders() throws {
        let mock = MockCluster()
        mock.createTopic("events", partitions: 4)
        let observer = RecordingObserver()
        let producer = try makeProducer(mock, observer: observer)
        defer { close(producer) }
        let events = numberedEvents(100)
        let result = try deliver(producer, events)
        #expect(result.outcome == .delivered)
        #expect(result.deliveredEventCount == 100)
        #expect(observer.seen.withLock { $0.deliveredRecords } == 100)

        let records = try readBack(mock, topic: "events")
        #expect(records.count == 100)
        // Key = dataset: one partition, in submission order.
        #expect(Set(records.map(\.partition)).count == 1)
        #expect(records.map { eventNumber($0.value) } == (0..<100).map { $0 })
        #expect(records.map(\.value) == events.map(\.value))
        for record in records {
            #expect(record.key == Array("checkout".utf8))
            #expect(record.header("kelpie-dataset") == "checkout")
            #expect(record.header("kelpie-key-id") == "k1")
            #expect(record.header("content-type") == "application/json")
        }
    }

    @Test(arguments: [
        [RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS],
        [RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT],
        [RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT],
    ])
    func retriableProduceErrorsAreRetriedUntilEveryEventIsDeliveredOnce(_ errors: [rd_kafka_resp_err_t]) throws {
        let mock = MockCluster()
        mock.createTopic("faults", partitions: 1, leader: 1)
        let producer = try makeProducer(mock, topic: "faults")
        defer { close(producer) }
        mock.failNextProduceRequests(errors)
        let result = try deliver(producer, numberedEvents(50))
        #expect(result.outcome == .delivered)
        let numbers = try readBack(mock, topic: "faults").compactMap { eventNumber($0.value) }
        // Idempotence: retried requests are not written twice.
        #expect(numbers == Array(0..<50))
    }

    @Test func aBlockWaitsWhileTheLeaderIsDownAndIsDeliveredWhenItComesBack() throws {
        let mock = MockCluster()
        let observer = RecordingObserver()
        let producer = try producerWithLeaderDown(mock, observer: observer)
        defer { close(producer) }
        let pending = submit(producer, numberedEvents(20, from: 1))
        let sawQueued = waitUntil(timeout: .seconds(10)) {
            let last = observer.seen.withLock { $0.statistics.last }
            return (last?.queuedRecords ?? 0) >= 20 && (last?.brokersUp ?? 3) < 3
        }
        #expect(sawQueued, "statistics never showed the records queued with a broker down")
        #expect(!pending.isComplete(within: .zero))
        mock.setUp(1)
        #expect(try pending.wait(timeout: .seconds(20)).outcome == .delivered)
        #expect(try readBack(mock, topic: "events").compactMap { eventNumber($0.value) } == Array(0..<21))
    }

    @Test func aLeaderDownPastTheMessageTimeoutIsARetriableFailureAndResubmittingDelivers() throws {
        let mock = MockCluster()
        mock.createTopic("events", partitions: 1, leader: 1)
        let producer = try makeProducer(mock, properties: [KafkaProperty(name: "message.timeout.ms", value: "1500")])
        defer { close(producer) }
        #expect(try deliver(producer, numberedEvents(1)).outcome == .delivered)
        mock.setDown(1)
        let events = numberedEvents(10, from: 1)
        let failed = try deliver(producer, events)
        #expect(failed.outcome == .retriableFailure)
        #expect(failed.failures.count == 10)
        #expect(failed.failures.allSatisfy { $0.error.name == "_MSG_TIMED_OUT" && $0.error.disposition == .retriable })
        mock.setUp(1)
        #expect(try deliver(producer, events).outcome == .delivered)
        #expect(try readBack(mock, topic: "events").compactMap { eventNumber($0.value) } == Array(0..<11))
    }

    @Test func aLeaderChangeAwayFromADownBrokerDelivers() throws {
        let mock = MockCluster()
        let producer = try producerWithLeaderDown(mock)
        defer { close(producer) }
        let pending = submit(producer, numberedEvents(20, from: 1))
        mock.setLeader("events", partition: 0, broker: 2)
        #expect(try pending.wait(timeout: .seconds(20)).outcome == .delivered)
        #expect(try readBack(mock, topic: "events").count == 21)
    }

    @Test func aRecordOverMessageMaxBytesIsDeadLetteredAndTheRestOfTheBlockIsDelivered() throws {
        let mock = MockCluster()
        mock.createTopic("events", partitions: 1)
        let producer = try makeProducer(mock, properties: [KafkaProperty(name: "message.max.bytes", value: "10000")])
        defer { close(producer) }
        var events = numberedEvents(3)
        events[1].value = Array(#"{"n":1,"pad":""#.utf8) + Array(repeating: UInt8(ascii: "x"), count: 20_000) + Array(#""}"#.utf8)
        let result = try deliver(producer, events)
        #expect(result.outcome == .permanentFailure)
        #expect(result.failures.map(\.index) == [1])
        #expect(result.failures.first?.error.name == "MSG_SIZE_TOO_LARGE")
        #expect(result.deadLetters.map(\.cause) == [.recordTooLarge])
        #expect(result.deliveredEventCount == 2)
        #expect(try readBack(mock, topic: "events").compactMap { eventNumber($0.value) } == [0, 2])
    }

    @Test(arguments: [
        (RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, KafkaDeadLetterCause.recordTooLarge),
        (RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, KafkaDeadLetterCause.authorization),
    ])
    func aBrokerRefusalThatNoRetryFixesIsDeadLettered(_ error: rd_kafka_resp_err_t, _ cause: KafkaDeadLetterCause) throws {
        let mock = MockCluster()
        mock.createTopic("events", partitions: 1, leader: 1)
        let producer = try makeProducer(mock)
        defer { close(producer) }
        #expect(try deliver(producer, numberedEvents(1)).outcome == .delivered)
        mock.failNextProduceRequests([error])
        let result = try deliver(producer, numberedEvents(5, from: 1))
        #expect(result.outcome == .permanentFailure)
        #expect(result.deadLetters.count == 5)
        #expect(result.deadLetters.allSatisfy { $0.cause == cause })
        // The producer keeps flowing: after an authorization refusal librdkafka fails the topic's records
        // at once until its next metadata refresh, so resubmit, as the forwarder would, until delivered.
        let flowing = waitUntil(timeout: .seconds(15)) {
            (try? deliver(producer, numberedEvents(5, from: 6)))?.outcome == .delivered
        }
        #expect(flowing)
    }

    @Test func anUnknownTopicIsDeadLetteredInsteadOfRetriedForever() throws {
        let mock = MockCluster()
        mock.setTopicError("missing", RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
        let producer = try makeProducer(
            mock, topic: "missing",
            properties: [
                KafkaProperty(name: "topic.metadata.propagation.max.ms", value: "500"),
                KafkaProperty(name: "message.timeout.ms", value: "30000"),
            ]
        )
        defer { close(producer) }
        let result = try deliver(producer, numberedEvents(3), timeout: .seconds(15))
        #expect(result.outcome == .permanentFailure)
        #expect(result.deadLetters.map(\.cause) == [.unknownTopic, .unknownTopic, .unknownTopic])
    }

    @Test func aFatalIdempotenceErrorRebuildsTheProducerAndLosesNothing() throws {
        let mock = MockCluster()
        let observer = RecordingObserver()
        let producer = try producerWithLeaderDown(mock, observer: observer)
        defer { close(producer) }
        let held = submit(producer, numberedEvents(30, from: 1))
        producer.triggerFatalErrorForTesting(reason: "test")
        #expect(waitUntil(timeout: .seconds(10)) { observer.seen.withLock { $0.rebuilds } == 1 })
        // Submitted after the rebuild, onto the new handle.
        let after = submit(producer, numberedEvents(10, from: 31))
        mock.setUp(1)
        #expect(try held.wait(timeout: .seconds(20)).outcome == .delivered)
        #expect(try after.wait(timeout: .seconds(20)).outcome == .delivered)
        let numbers = try readBack(mock, topic: "events").compactMap { eventNumber($0.value) }
        #expect(Set(numbers) == Set(0..<41))
    }

    @Test func packedRecordsCarryUpToNEventsOfOneDatasetAndKeyID() throws {
        let mock = MockCluster()
        mock.createTopic("events", partitions: 2)
        let producer = try makeProducer(mock, batchEvents: 4)
        defer { close(producer) }
        var events: [KafkaEvent] = []
        for number in 0..<10 {
            events += numberedEvents(1, dataset: number % 2 == 0 ? "even" : "odd", from: number)
        }
        #expect(try deliver(producer, events).outcome == .delivered)
        let records = try readBack(mock, topic: "events")
        // 5 even and 5 odd events: 4 + 1 each.
        #expect(records.map { $0.value.split(separator: 0x0A).count }.sorted() == [1, 1, 4, 4])
        for record in records {
            #expect(record.header("content-type") == (record.value.contains(0x0A) ? "application/x-ndjson" : "application/json"))
            let numbers = record.value.split(separator: 0x0A).compactMap { eventNumber($0) }
            #expect(numbers.allSatisfy { ($0 % 2 == 0) == (record.header("kelpie-dataset") == "even") })
            #expect(numbers == numbers.sorted())
        }
        let all = records.flatMap { $0.value.split(separator: 0x0A).compactMap { eventNumber($0) } }
        #expect(all.sorted() == Array(0..<10))
    }

    @Test func closingWithRecordsStillQueuedFailsThemAsRetriableAndLaterSubmitsFailAtOnce() throws {
        let mock = MockCluster()
        let producer = try producerWithLeaderDown(mock)
        let pending = submit(producer, numberedEvents(5))
        close(producer, within: .milliseconds(300))
        let result = try pending.wait(timeout: .seconds(5))
        #expect(result.outcome == .retriableFailure)
        #expect(result.failures.allSatisfy { $0.error.name.hasPrefix("_PURGE") })
        let late = try deliver(producer, numberedEvents(2), timeout: .seconds(5))
        #expect(late.failures.map(\.error.name) == ["_DESTROY", "_DESTROY"])
        #expect(producer.outstandingBlocks == 0)
    }
}
