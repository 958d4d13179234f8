import Foundation
import KafkaSink
import KelpieApp
import Pipeline
import Testing
import TestSupport

/// `--sink kafka` against a real broker (Tansu, started per test): what the captured Honeycomb JSON, msgpack
/// and OTLP requests become in the topic, compared line for line with what `--sink spool` stores for the
/// same requests (docs/kafka.md#record-format-for-consumers).
@Suite(.serialized, .enabled(if: TansuBroker.shouldRun))
struct KafkaRoundTripTests {
    static let requests: [(name: String, directory: URL)] = [
        ("libhoney-go-batch-json-nocompress", TestServer.fixtures),
        ("libhoney-go-batch-msgpack-zstd", TestServer.fixtures),
        ("otel-py-traces-protobuf", OTLPAndMsgPackReplayTests.otlpDirectory),
        ("otel-py-logs-json-synthetic", OTLPAndMsgPackReplayTests.otlpDirectory),
    ]

    /// Sends every captured request once and checks each answer is a full success.
    static func post(_ server: TestServer) throws {
        for (name, directory) in requests {
            let fixture = try WireFixture(name: name, directory: directory)
            let client = try server.client()
            try client.send(fixture.requestBytes)
            let response = try client.readResponse()
            #expect(response.status == 200, "\(name): \(response.bodyText)")
            #expect(!response.bodyText.contains("error"), "\(name): \(response.bodyText)")
        }
    }

    /// The canonical lines `--sink spool` stores for the same requests.
    static func spoolLines() async throws -> [String] {
        let spool = try TestServer()
        defer { spool.dataDirectory.remove() }
        try post(spool)
        await spool.app.shutdown()
        return try readSpoolLines(dataDirectory: spool.dataDirectory.path).map { String(decoding: $0, as: UTF8.self) }
    }

    static func withKafkaServer(
        ack: AckMode, key: String, _ body: (TestServer, KafkaTopic) async throws -> Void
    ) async throws {
        let directory = try TemporaryDirectory(prefix: "kelpie-tansu")
        defer { directory.remove() }
        let broker = try TansuBroker(logPath: directory.file("tansu.log"))
        defer { broker.stop() }
        let topic = KafkaTopic(bootstrapServers: broker.bootstrapServers, name: "round-trip")
        let server = try TestServer {
            $0.sink = .kafka
            $0.ackMode = ack
            $0.kafkaBrokers = broker.bootstrapServers
            $0.kafkaTopic = topic.name
            $0.kafkaKey = key
        }
        defer { server.dataDirectory.remove() }
        try await body(server, topic)
        await server.app.shutdown()
    }

    @Test(arguments: [AckMode.memory, .delivered, .durable])
    func everyRecordIsTheSpoolLineWithTheDatasetKeyAndTheDocumentedHeaders(ack: AckMode) async throws {
        let expected = try await Self.spoolLines()
        #expect(expected.count >= 20, "the captures hold \(expected.count) events")
        try await Self.withKafkaServer(ack: ack, key: "dataset") { server, topic in
            try Self.post(server)
            let records = topic.records(atLeast: expected.count)
            #expect(records.count == expected.count, "ack=\(ack.rawValue): a redelivery would add records")
            #expect(records.map(\.valueText).sorted() == expected.sorted())
            for record in records {
                let event = try #require(try JSONSerialization.jsonObject(with: Data(record.value)) as? [String: Any])
                let dataset = try #require(event["dataset"] as? String)
                #expect(record.keyText == dataset)
                #expect(record.header("kelpie-dataset") == dataset)
                #expect(record.header("kelpie-key-id") == event["key_id"] as? String)
                #expect(record.header("content-type") == "application/json")
            }
        }
    }

    @Test func traceKeyModeKeysSpansByTheirTraceIDAndOtherEventsByDataset() async throws {
        let expected = try await Self.spoolLines()
        try await Self.withKafkaServer(ack: .delivered, key: "trace") { server, topic in
            try Self.post(server)
            let records = topic.records(atLeast: expected.count)
            #expect(records.map(\.valueText).sorted() == expected.sorted())
            var spans = 0
            for record in records {
                let event = try #require(try JSONSerialization.jsonObject(with: Data(record.value)) as? [String: Any])
                let data = try #require(event["data"] as? [String: Any])
                if let traceID = data["trace.trace_id"] as? String {
                    spans += 1
                    #expect(record.keyText == traceID)
                } else {
                    #expect(record.keyText == event["dataset"] as? String)
                }
            }
            #expect(spans > 0, "the OTLP traces capture holds spans with trace ids")
        }
    }
}
