import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// A `kelpie` process with `--sink kafka --ack durable`, SIGKILLed while it forwards its WAL to Tansu (which
/// lives on: it is the test's process, not the child's), restarted on the same data directory.
@Suite(.serialized, .enabled(if: TansuBroker.shouldRun))
struct KafkaCrashRecoveryTests {
    @Test func everyAcknowledgedEventReachesTheTopicAfterSIGKILLAndRestart() async throws {
        let directory = try TemporaryDirectory(prefix: "kelpie-kafka-crash")
        defer { directory.remove() }
        let broker = try TansuBroker(logPath: directory.file("tansu.log"))
        defer { broker.stop() }
        let dataDirectory = directory.file("data")
        // linger.ms holds records in librdkafka for a while, so the kill finds records handed over but not
        // yet acknowledged behind the forwarder's checkpoint.
        let arguments = [
            "--data-dir", dataDirectory, "--ack", "durable", "--sink", "kafka",
            "--kafka-brokers", broker.bootstrapServers, "--kafka-topic", "crash",
            "--kafka-property", "linger.ms=100", "--segment-max-bytes", "65536", "--drain-delay", "0s",
        ]
        let topic = KafkaTopic(bootstrapServers: broker.bootstrapServers, name: "crash")
        let first = try ServerProcess(arguments: arguments, logPath: directory.file("run1.log"))
        let load = SteadyLoad(port: first.port, dataset: "crash", batchEvents: 50)
        // Kill mid-load, once forwarding is under way (the topic has records) and a good share was acknowledged.
        let forwarding = load.send(until: {
            load.acknowledged.count >= 2_000 && !topic.records(atLeast: 1, timeout: .zero).isEmpty
        }, timeout: .seconds(60))
        #expect(forwarding, "statuses: \(load.statuses)\n\(first.log)")
        load.sendBatch()
        first.signal(SIGKILL)
        #expect(first.waitForExit(timeoutSeconds: 10) != nil)
        let acknowledged = Set(load.acknowledged)
        let beforeRestart = SteadyLoad.numbers(in: topic.records(atLeast: 0, timeout: .zero).map(\.value))

        let second = try ServerProcess(arguments: arguments, logPath: directory.file("run2.log"))
        var found: [Int] = []
        _ = await waitUntil(timeout: .seconds(60)) {
            found = SteadyLoad.numbers(in: topic.records(atLeast: acknowledged.count, timeout: .seconds(1)).map(\.value))
            return acknowledged.isSubset(of: Set(found))
        }
        let missing = acknowledged.subtracting(found)
        #expect(missing.isEmpty, "\(missing.count) of \(acknowledged.count) acknowledged events missing after the restart")
        let duplicates = found.count - Set(found).count
        let page = try RawHTTPClient(port: second.port).roundTrip("GET", "/metrics").bodyText
        let redelivered = KafkaTopic.metric("kelpie_sink_redelivered_events_total", in: page)
        #expect(Double(duplicates) <= redelivered, "\(duplicates) duplicates in the topic, \(redelivered) counted as redelivered")
        print("kafka SIGKILL: acknowledged \(acknowledged.count), in topic at the kill \(beforeRestart.count), after restart \(found.count) (\(duplicates) duplicates), redelivered \(redelivered)")
        second.signal(SIGTERM)
        #expect(second.waitForExit(timeoutSeconds: 20) == 0, "\(second.log)")
    }
}
