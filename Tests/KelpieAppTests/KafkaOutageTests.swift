import Foundation
import KelpieApp
import Pipeline
import Testing
import TestSupport

/// `--sink kafka` while the whole cluster is down (librdkafka's mock cluster, all brokers down, then up)
/// under steady load: what the clients hear, what readiness says, and that nothing acknowledged is lost.
///
/// The cluster stays down for 30 s under a steady load (one small batch every 50 ms once the behaviour under
/// test has been seen: the WAL cap reached and readiness false, or requests refused), many times
/// `message.timeout.ms`, so librdkafka gives up on its queued records again and again and Kelpie's own
/// resubmission runs throughout. The two tests use separate clusters and run side by side.
struct KafkaOutageTests {
    static let brokers: Int32 = 3
    static let messageTimeout: Duration = .milliseconds(1500)
    static let outage: Duration = .seconds(30)
    static let outagePace: Duration = .milliseconds(50)

    static func makeServer(_ mock: MockCluster, ack: AckMode) throws -> TestServer {
        try TestServer {
            $0.sink = .kafka
            $0.ackMode = ack
            $0.kafkaBrokers = mock.bootstrapServers
            $0.kafkaTopic = "outage"
            $0.kafkaProperties = [
                "message.timeout.ms=\(messageTimeout.components.seconds * 1000 + messageTimeout.components.attoseconds / 1_000_000_000_000_000)",
                "reconnect.backoff.ms=50", "reconnect.backoff.max.ms=500",
            ]
            $0.segmentMaxBytes = 4096
            $0.retentionMaxBytes = 32 * 1024
            $0.sinkTimeout = .seconds(1)
        }
    }

    static func setCluster(_ mock: MockCluster, up: Bool) {
        for broker in 1...brokers { if up { mock.setUp(broker) } else { mock.setDown(broker) } }
    }

    /// Brings the cluster back under the same load until requests are accepted again, then waits until every
    /// acknowledged event is in the topic; returns them and the event numbers found there.
    static func recover(_ mock: MockCluster, load: SteadyLoad, topic: KafkaTopic) async -> (acknowledged: Set<Int>, found: [Int]) {
        setCluster(mock, up: true)
        #expect(load.send(until: { load.answers.last?.status == 200 }, timeout: .seconds(60)), "\(load.statuses)")
        for _ in 0..<5 { load.sendBatch() }
        #expect(Set(load.statuses.keys).isSubset(of: [200, 503]), "no other answer than 200 or 503: \(load.statuses)")
        let acknowledged = Set(load.acknowledged)
        var found: [Int] = []
        _ = await waitUntil(timeout: .seconds(60)) {
            found = SteadyLoad.numbers(in: topic.records(atLeast: acknowledged.count).map(\.value))
            return acknowledged.isSubset(of: Set(found))
        }
        let missing = acknowledged.subtracting(found)
        #expect(missing.isEmpty, "\(missing.count) of \(acknowledged.count) acknowledged events missing from the topic")
        return (acknowledged, found)
    }

    static func metrics(_ server: TestServer) -> String {
        (try? server.client().roundTrip("GET", "/metrics").bodyText) ?? ""
    }

    @Test func durableAnswers503AtTheWALCapAndDeliversEveryAcknowledgedEventAfterTheOutage() async throws {
        let mock = MockCluster(brokers: Self.brokers)
        mock.createTopic("outage", partitions: 2)
        let server = try Self.makeServer(mock, ack: .durable)
        defer { server.dataDirectory.remove() }
        let topic = KafkaTopic(bootstrapServers: mock.bootstrapServers, name: "outage")
        let load = SteadyLoad(port: server.port)
        for _ in 0..<5 { load.sendBatch() }
        #expect(topic.records(atLeast: load.acknowledged.count).count >= load.acknowledged.count, "flowing before the outage")

        Self.setCluster(mock, up: false)
        let downSince = ContinuousClock.now
        var sawNotReady = false
        let capReached = load.send(until: {
            if try! server.client().roundTrip("GET", "/readyz").status == 503 { sawNotReady = true }
            return load.answers.last?.status == 503 && sawNotReady
        }, timeout: .seconds(60))
        #expect(capReached, "statuses while down: \(load.statuses)")
        load.sendSteadily(until: downSince + Self.outage, every: Self.outagePace)
        #expect(sawNotReady, "readiness stays true past the WAL's high-water mark")
        let refused = load.answers.filter { $0.status == 503 }
        #expect(!refused.isEmpty && refused.allSatisfy { $0.retryAfter != nil }, "every 503 carries Retry-After")

        let (acknowledged, found) = await Self.recover(mock, load: load, topic: topic)
        let duplicates = found.count - Set(found).count
        let page = Self.metrics(server)
        let redelivered = KafkaTopic.metric("kelpie_sink_redelivered_events_total", in: page)
        #expect(Double(duplicates) <= redelivered, "\(duplicates) duplicates in the topic, \(redelivered) counted as redelivered")
        // Records handed to librdkafka during the outage timed out there and were produced again by Kelpie.
        let timedOut = KafkaTopic.metric(#"kelpie_kafka_errors_total{error="_MSG_TIMED_OUT"}"#, in: page)
        #expect(timedOut > 0, "the outage should outlast message.timeout.ms")
        #expect(await waitUntil(timeout: .seconds(10)) { (try? server.client().roundTrip("GET", "/readyz").status) == 200 })
        print("durable outage: sent \(load.nextNumber), acknowledged \(acknowledged.count), in topic \(found.count) (\(duplicates) duplicates), redelivered \(redelivered), _MSG_TIMED_OUT \(timedOut), statuses \(load.statuses)")
        await server.stop()
    }

    @Test func deliveredAnswers503WithRetryAfterWhileDownAndEvery200dEventIsInTheTopic() async throws {
        let mock = MockCluster(brokers: Self.brokers)
        mock.createTopic("outage", partitions: 2)
        let server = try Self.makeServer(mock, ack: .delivered)
        defer { server.dataDirectory.remove() }
        let topic = KafkaTopic(bootstrapServers: mock.bootstrapServers, name: "outage")
        let load = SteadyLoad(port: server.port)
        // The first request also waits for the producer's first connection and metadata, which can take
        // longer than the 1 s sink timeout on a busy machine: flowing means a 200 before the outage.
        #expect(load.send(until: { load.answers.last?.status == 200 }, timeout: .seconds(30)), "\(load.statuses)")

        Self.setCluster(mock, up: false)
        let downSince = ContinuousClock.now
        let refused = load.send(until: {
            load.answers.suffix(2).allSatisfy { $0.status == 503 }
        }, timeout: .seconds(60))
        #expect(refused, "statuses while down: \(load.statuses)")
        load.sendSteadily(until: downSince + Self.outage, every: Self.outagePace)
        #expect(load.answers.suffix(2).allSatisfy { $0.status == 503 }, "still refused at the end of the outage: \(load.statuses)")
        #expect(load.answers.filter { $0.status == 503 }.allSatisfy { $0.retryAfter != nil }, "every 503 carries Retry-After")

        let (acknowledged, found) = await Self.recover(mock, load: load, topic: topic)
        print("delivered outage: sent \(load.nextNumber), acknowledged \(acknowledged.count), in topic \(found.count), statuses \(load.statuses)")
        await server.stop()
    }
}
