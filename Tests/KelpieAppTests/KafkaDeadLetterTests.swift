import CRdKafka
import Foundation
import KelpieApp
import Pipeline
import Testing
import TestSupport

/// Events Kafka can never take (librdkafka's mock cluster): set aside in the dead-letter spool with their
/// cause, counted, never retried, and the events after them keep flowing (docs/kafka.md#delivery-results-retries-and-the-dead-letter).
@Suite(.serialized)
struct KafkaDeadLetterTests {
    static func makeServer(_ mock: MockCluster, ack: AckMode, topic: String, properties: [String]) throws -> TestServer {
        try TestServer {
            $0.sink = .kafka
            $0.ackMode = ack
            $0.kafkaBrokers = mock.bootstrapServers
            $0.kafkaTopic = topic
            $0.kafkaProperties = ["reconnect.backoff.ms=50", "reconnect.backoff.max.ms=500"] + properties
        }
    }

    static func post(_ server: TestServer, dataset: String, _ events: [String]) throws -> (status: Int, body: String) {
        let response = try server.client().roundTrip(
            "POST", "/1/batch/\(dataset)", headers: [TestServer.authHeader], body: Array(("[" + events.joined(separator: ",") + "]").utf8)
        )
        return (response.status, response.bodyText)
    }

    /// The dead-letter spool's entries as (reason, sink, event's `data`).
    static func deadLetters(_ server: TestServer) -> [(reason: String, sink: String, data: [String: Any])] {
        guard let text = try? String(contentsOfFile: server.dataDirectory.file("deadletter/deadletter.jsonl"), encoding: .utf8) else {
            return []
        }
        return text.split(separator: "\n").compactMap { line in
            guard let entry = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let event = entry["event"] as? [String: Any] else { return nil }
            return (entry["reason"] as? String ?? "", entry["sink"] as? String ?? "", event["data"] as? [String: Any] ?? [:])
        }
    }

    static func metrics(_ server: TestServer) -> String {
        (try? server.client().roundTrip("GET", "/metrics").bodyText) ?? ""
    }

    @Test(arguments: [AckMode.durable, .memory])
    func aRecordOverMessageMaxBytesIsDeadLetteredAndTheEventsAroundItFlow(ack: AckMode) async throws {
        let mock = MockCluster()
        mock.createTopic("events", partitions: 1)
        let server = try Self.makeServer(mock, ack: ack, topic: "events", properties: ["message.max.bytes=2000"])
        defer { server.dataDirectory.remove() }
        let big = #"{"data":{"n":1,"pad":"\#(String(repeating: "x", count: 5000))"}}"#
        let first = try Self.post(server, dataset: "big", [#"{"data":{"n":0}}"#, big, #"{"data":{"n":2}}"#])
        #expect(first.status == 200)
        let topic = KafkaTopic(bootstrapServers: mock.bootstrapServers, name: "events")
        #expect(SteadyLoad.numbers(in: topic.records(atLeast: 2).map(\.value)).sorted() == [0, 2])
        #expect(await waitUntil(timeout: .seconds(20)) { Self.deadLetters(server).count == 1 })
        let letter = try #require(Self.deadLetters(server).first)
        #expect(letter.reason == "record_too_large")
        #expect(letter.sink == "kafka")
        #expect(letter.data["n"] as? Int == 1)

        // Later events keep flowing, and the dead letter is not retried.
        #expect(try Self.post(server, dataset: "big", [#"{"data":{"n":3}}"#]).status == 200)
        #expect(SteadyLoad.numbers(in: topic.records(atLeast: 3).map(\.value)).sorted() == [0, 2, 3])
        let page = Self.metrics(server)
        #expect(KafkaTopic.metric(#"kelpie_sink_dead_lettered_events_total{sink="kafka"}"#, in: page) == 1)
        #expect(KafkaTopic.metric(#"kelpie_kafka_errors_total{error="MSG_SIZE_TOO_LARGE"}"#, in: page) == 1)
        #expect(Self.deadLetters(server).count == 1)
        await server.stop()
    }

    @Test func anUnknownTopicIsDeadLetteredOnceWhileOtherTopicsFlow() async throws {
        let mock = MockCluster()
        mock.createTopic("present", partitions: 1)
        mock.setTopicError("missing", RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
        let server = try Self.makeServer(
            mock, ack: .durable, topic: "{dataset}",
            properties: ["topic.metadata.propagation.max.ms=500", "message.timeout.ms=30000"]
        )
        defer { server.dataDirectory.remove() }
        #expect(try Self.post(server, dataset: "missing", [#"{"data":{"n":0}}"#, #"{"data":{"n":1}}"#]).status == 200)
        #expect(try Self.post(server, dataset: "present", [#"{"data":{"n":2}}"#]).status == 200)
        #expect(await waitUntil(timeout: .seconds(20)) { Self.deadLetters(server).count == 2 })
        #expect(Self.deadLetters(server).map(\.reason) == ["unknown_topic", "unknown_topic"])
        #expect(Self.deadLetters(server).compactMap { $0.data["n"] as? Int }.sorted() == [0, 1])

        #expect(try Self.post(server, dataset: "present", [#"{"data":{"n":3}}"#]).status == 200)
        let topic = KafkaTopic(bootstrapServers: mock.bootstrapServers, name: "present")
        #expect(SteadyLoad.numbers(in: topic.records(atLeast: 2).map(\.value)).sorted() == [2, 3])
        let page = Self.metrics(server)
        #expect(KafkaTopic.metric(#"kelpie_sink_dead_lettered_events_total{sink="kafka"}"#, in: page) == 2)
        let unknownTopicErrors = ["_UNKNOWN_TOPIC", "UNKNOWN_TOPIC_OR_PART"].map {
            KafkaTopic.metric(#"kelpie_kafka_errors_total{error="\#($0)"}"#, in: page)
        }.reduce(0, +)
        #expect(unknownTopicErrors == 2, "\(page.split(separator: "\n").filter { $0.hasPrefix("kelpie_kafka_errors_total") })")
        #expect(Self.deadLetters(server).count == 2, "dead letters are never retried")
        await server.stop()
    }

    /// ack=delivered answers after Kafka's verdict, so a dead-lettered event is answered as an error in its
    /// position (Honeycomb batch), as a 400 (`/1/events`), or in OTLP's partial_success, instead of 202.
    @Test func deliveredAnswersDeadLetteredEventsAsPerEventErrors() async throws {
        let mock = MockCluster()
        mock.createTopic("events", partitions: 1)
        let server = try Self.makeServer(mock, ack: .delivered, topic: "events", properties: ["message.max.bytes=2000"])
        defer { server.dataDirectory.remove() }
        let pad = String(repeating: "x", count: 5000)
        let big = #"{"data":{"n":1,"pad":"\#(pad)"}}"#

        let batch = try Self.post(server, dataset: "big", [#"{"data":{"n":0}}"#, #"{"data":"not an object"}"#, big, #"{"data":{"n":3}}"#])
        #expect(batch.status == 200)
        let statuses = try #require(try JSONSerialization.jsonObject(with: Data(batch.body.utf8)) as? [[String: Any]])
        #expect(statuses.map { $0["status"] as? Int } == [202, 400, 400, 202])
        let error = try #require(statuses[2]["error"] as? String)
        #expect(error.contains("record_too_large"), "\(error)")

        let single = try server.client().roundTrip(
            "POST", "/1/events/big", headers: [TestServer.authHeader], body: Array(#"{"n":4,"pad":"\#(pad)"}"#.utf8)
        )
        #expect(single.status == 400)
        #expect(single.bodyText.contains("record_too_large"), "\(single.bodyText)")

        let span = { (id: String, attribute: String) in
            #"{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"\#(id)","name":"op","startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000000000100","attributes":[{"key":"pad","value":{"stringValue":"\#(attribute)"}}]}"#
        }
        let otlp = #"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},"scopeSpans":[{"spans":["# + span("eee19b7ec3c1b174", "small") + "," + span("eee19b7ec3c1b175", pad) + "]}]}]}"
        let traces = try server.client().roundTrip(
            "POST", "/v1/traces", headers: [TestServer.authHeader, ("Content-Type", "application/json")], body: Array(otlp.utf8)
        )
        #expect(traces.status == 200)
        let partial = try #require(try JSONSerialization.jsonObject(with: Data(traces.body)) as? [String: Any])
        let success = try #require(partial["partialSuccess"] as? [String: Any], "\(traces.bodyText)")
        #expect(success["rejectedSpans"] as? String == "1")
        #expect((success["errorMessage"] as? String)?.contains("record_too_large") == true, "\(traces.bodyText)")

        let topic = KafkaTopic(bootstrapServers: mock.bootstrapServers, name: "events")
        #expect(topic.records(atLeast: 3).count == 3, "the small events of the batch and the small span")
        #expect(Self.deadLetters(server).count == 3)
        let page = Self.metrics(server)
        #expect(KafkaTopic.metric(#"kelpie_sink_dead_lettered_events_total{sink="kafka"}"#, in: page) == 3)
        await server.stop()
    }
}
