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

    /// What a scenario saw, collected on its own thread (see `onOwnThread`) and checked by the test.
    struct Observed: Sendable {
        var flowingBefore = false
        var refusedWhileDown = false
        var sawNotReady = false
        var stillRefusedAtEnd = false
        var statusesWhileDown: [Int: Int] = [:]
        var every503HasRetryAfter = false
        var backAfterOutage = false
        var onlyOKOr503 = false
        var statuses: [Int: Int] = [:]
        var errors: [String: Int] = [:]
        var sent = 0
        var acknowledged: Set<Int> = []
        var found: [Int] = []
        var page = ""
        var readyAgain = false

        var missing: Set<Int> { acknowledged.subtracting(found) }
        var duplicates: Int { found.count - Set(found).count }
    }

    /// Brings the cluster back under the same load until requests are accepted again, then waits until every
    /// acknowledged event is in the topic. Blocking: runs on the scenario's own thread.
    static func recover(_ mock: MockCluster, load: SteadyLoad, topic: KafkaTopic, into seen: inout Observed) {
        setCluster(mock, up: true)
        seen.backAfterOutage = load.send(until: { load.answers.last?.status == 200 }, timeout: .seconds(60))
        for _ in 0..<5 { load.sendBatch() }
        seen.statuses = load.statuses
        seen.errors = load.errors
        seen.onlyOKOr503 = Set(load.statuses.keys).isSubset(of: [200, 503])
        seen.sent = load.nextNumber
        seen.acknowledged = Set(load.acknowledged)
        let acknowledged = seen.acknowledged
        var found: [Int] = []
        _ = waitUntil(timeout: .seconds(60)) {
            found = SteadyLoad.numbers(in: topic.records(atLeast: acknowledged.count).map(\.value))
            return acknowledged.isSubset(of: Set(found))
        }
        seen.found = found
    }

    static func metrics(_ server: TestServer) -> String {
        (try? server.client().roundTrip("GET", "/metrics").bodyText) ?? ""
    }

    /// Down for `outage` under load; refusals, readiness and Retry-After as `durable` promises them.
    static func durableScenario(_ mock: MockCluster, _ server: TestServer) -> Observed {
        var seen = Observed()
        let topic = KafkaTopic(bootstrapServers: mock.bootstrapServers, name: "outage")
        let load = SteadyLoad(port: server.port)
        for _ in 0..<5 { load.sendBatch() }
        seen.flowingBefore = topic.records(atLeast: load.acknowledged.count).count >= load.acknowledged.count

        setCluster(mock, up: false)
        let downSince = ContinuousClock.now
        var sawNotReady = false
        seen.refusedWhileDown = load.send(until: {
            if (try? server.client().roundTrip("GET", "/readyz").status) == 503 { sawNotReady = true }
            return load.answers.last?.status == 503 && sawNotReady
        }, timeout: .seconds(60))
        seen.sawNotReady = sawNotReady
        load.sendSteadily(until: downSince + outage, every: outagePace)
        seen.stillRefusedAtEnd = load.answers.last?.status == 503
        seen.statusesWhileDown = load.statuses
        let refused = load.answers.filter { $0.status == 503 }
        seen.every503HasRetryAfter = !refused.isEmpty && refused.allSatisfy { $0.retryAfter != nil }

        recover(mock, load: load, topic: topic, into: &seen)
        seen.page = metrics(server)
        seen.readyAgain = waitUntil(timeout: .seconds(10)) { (try? server.client().roundTrip("GET", "/readyz").status) == 200 }
        return seen
    }

    /// Down for `outage` under load; `delivered` answers 503 + Retry-After at the sink timeout.
    static func deliveredScenario(_ mock: MockCluster, _ server: TestServer) -> Observed {
        var seen = Observed()
        let topic = KafkaTopic(bootstrapServers: mock.bootstrapServers, name: "outage")
        let load = SteadyLoad(port: server.port)
        // The first request also waits for the producer's first connection and metadata, which can take
        // longer than the 1 s sink timeout on a busy machine: flowing means a 200 before the outage.
        seen.flowingBefore = load.send(until: { load.answers.last?.status == 200 }, timeout: .seconds(30))

        setCluster(mock, up: false)
        let downSince = ContinuousClock.now
        seen.refusedWhileDown = load.send(until: { load.answers.suffix(2).allSatisfy { $0.status == 503 } }, timeout: .seconds(60))
        load.sendSteadily(until: downSince + outage, every: outagePace)
        seen.stillRefusedAtEnd = load.answers.suffix(2).allSatisfy { $0.status == 503 }
        seen.statusesWhileDown = load.statuses
        let refused = load.answers.filter { $0.status == 503 }
        seen.every503HasRetryAfter = !refused.isEmpty && refused.allSatisfy { $0.retryAfter != nil }

        recover(mock, load: load, topic: topic, into: &seen)
        return seen
    }

    static func checkRecovery(_ seen: Observed) {
        #expect(seen.backAfterOutage, "no 200 after the cluster came back: \(seen.statuses)")
        #expect(seen.onlyOKOr503, "no other answer than 200 or 503: \(seen.statuses), client errors \(seen.errors)")
        #expect(seen.missing.isEmpty, "\(seen.missing.count) of \(seen.acknowledged.count) acknowledged events missing from the topic")
    }

    @Test func durableAnswers503AtTheWALCapAndDeliversEveryAcknowledgedEventAfterTheOutage() async throws {
        let mock = MockCluster(brokers: Self.brokers)
        mock.createTopic("outage", partitions: 2)
        let server = try Self.makeServer(mock, ack: .durable)
        defer { server.dataDirectory.remove() }
        let seen = try await onOwnThread { Self.durableScenario(mock, server) }
        #expect(seen.flowingBefore, "flowing before the outage")
        #expect(seen.refusedWhileDown, "statuses while down: \(seen.statusesWhileDown)")
        #expect(seen.sawNotReady, "readiness stays true past the WAL's high-water mark")
        #expect(seen.stillRefusedAtEnd, "statuses while down: \(seen.statusesWhileDown)")
        #expect(seen.every503HasRetryAfter, "every 503 carries Retry-After")
        Self.checkRecovery(seen)
        let redelivered = KafkaTopic.metric("kelpie_sink_redelivered_events_total", in: seen.page)
        #expect(Double(seen.duplicates) <= redelivered, "\(seen.duplicates) duplicates in the topic, \(redelivered) counted as redelivered")
        // Records handed to librdkafka during the outage timed out there and were produced again by Kelpie.
        let timedOut = KafkaTopic.metric(#"kelpie_kafka_errors_total{error="_MSG_TIMED_OUT"}"#, in: seen.page)
        #expect(timedOut > 0, "the outage should outlast message.timeout.ms")
        // Each of them was produced again, a possible duplicate, and counted so.
        #expect(redelivered > 0, "resubmissions after _MSG_TIMED_OUT are counted as redelivered")
        #expect(seen.readyAgain)
        print("durable outage: sent \(seen.sent), acknowledged \(seen.acknowledged.count), in topic \(seen.found.count) (\(seen.duplicates) duplicates), redelivered \(redelivered), _MSG_TIMED_OUT \(timedOut), statuses \(seen.statuses)")
        await server.stop()
    }

    @Test func deliveredAnswers503WithRetryAfterWhileDownAndEvery200dEventIsInTheTopic() async throws {
        let mock = MockCluster(brokers: Self.brokers)
        mock.createTopic("outage", partitions: 2)
        let server = try Self.makeServer(mock, ack: .delivered)
        defer { server.dataDirectory.remove() }
        let seen = try await onOwnThread { Self.deliveredScenario(mock, server) }
        #expect(seen.flowingBefore, "\(seen.statusesWhileDown)")
        #expect(seen.refusedWhileDown, "statuses while down: \(seen.statusesWhileDown)")
        #expect(seen.stillRefusedAtEnd, "still refused at the end of the outage: \(seen.statusesWhileDown)")
        #expect(seen.every503HasRetryAfter, "every 503 carries Retry-After")
        Self.checkRecovery(seen)
        print("delivered outage: sent \(seen.sent), acknowledged \(seen.acknowledged.count), in topic \(seen.found.count), statuses \(seen.statuses)")
        await server.stop()
    }
}
