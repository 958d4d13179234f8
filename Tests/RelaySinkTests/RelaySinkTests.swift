import Logging
import Pipeline
import RelaySink
import Locking
import Testing
import TestSupport

/// The relay sink against a scripted upstream on a real socket: what goes over the wire, and what each
/// kind of answer makes of a block.
@Suite struct RelaySinkTests {
    static func makeSink(
        _ url: String, key: String = "upstream-key", observer: (any RelayObserver)? = nil,
        configure: (inout RelayConfiguration) -> Void = { _ in }
    ) throws -> RelaySink {
        var configuration = RelayConfiguration(upstreamURL: url, apiKey: key)
        configuration.linger = .milliseconds(5)
        configuration.timeout = .seconds(5)
        configure(&configuration)
        var logger = Logger(label: "relay-test")
        logger.logLevel = .critical
        return try RelaySink(configuration: configuration, observer: observer, logger: logger)
    }

    static func deliver(_ sink: RelaySink, _ block: SinkBlock) async -> SinkOutcome {
        await withCheckedContinuation { continuation in
            sink.deliver(block) { continuation.resume(returning: $0) }
        }
    }

    @Test func eventsGoAsZstdBatchItemsPerDatasetWithTheConfiguredKey() async throws {
        let upstream = try ScriptedUpstream()
        defer { upstream.stop() }
        let sink = try Self.makeSink(upstream.url + "/")
        defer { sink.close() }
        let block = RelayUnitTests.block([
            RelayUnitTests.line("web logs", #"{"a":1}"#, rate: 4),
            RelayUnitTests.line("other", #"{"b":"x\"y"}"#),
            RelayUnitTests.line("web logs", #"{"c":[1,2]}"#, time: "2025-06-07T08:09:10Z"),
        ])
        #expect(await Self.deliver(sink, block) == .delivered(rejected: []))
        let received = upstream.received
        #expect(Set(received.map(\.dataset)) == ["web logs", "other"])
        #expect(received.allSatisfy { $0.apiKey == "upstream-key" && $0.contentEncoding == "zstd" })
        let web = received.filter { $0.dataset == "web logs" }.flatMap(\.items)
        #expect(web == [
            #"{"data":{"a":1},"samplerate":4,"time":"2024-01-02T03:04:05.123456789Z"}"#,
            #"{"data":{"c":[1,2]},"samplerate":1,"time":"2025-06-07T08:09:10Z"}"#,
        ])
        #expect(received.first { $0.dataset == "other" }?.items == [#"{"data":{"b":"x\"y"},"samplerate":1,"time":"2024-01-02T03:04:05.123456789Z"}"#])
        #expect(sink.isReachable)
    }

    @Test func perEvent400IsARejectionTheOthersAreDelivered() async throws {
        let upstream = try ScriptedUpstream(mode: .rejectMarked("poison"))
        defer { upstream.stop() }
        let sink = try Self.makeSink(upstream.url)
        defer { sink.close() }
        let block = RelayUnitTests.block([
            RelayUnitTests.line("ds", #"{"ok":1}"#), RelayUnitTests.line("ds", #"{"poison":true}"#),
            RelayUnitTests.line("ds", #"{"ok":2}"#),
        ])
        #expect(await Self.deliver(sink, block) == .delivered(rejected: [SinkRejection(eventIndex: 1, reason: "upstream_400")]))
    }

    @Test(arguments: [429, 503])
    func overloadedUpstreamFailsTheBlockWithItsRetryAfter(status: Int) async throws {
        let upstream = try ScriptedUpstream(mode: .status(status, retryAfter: "2"))
        defer { upstream.stop() }
        let sink = try Self.makeSink(upstream.url)
        defer { sink.close() }
        let block = RelayUnitTests.block([RelayUnitTests.line("ds", "{}")])
        #expect(await Self.deliver(sink, block) == .failed(reason: "upstream_\(status)", retryAfter: .seconds(2)))
        #expect(sink.isReachable, "an overloaded upstream still takes our key")
    }

    @Test func refusedKeyMakesTheSinkUnreachableUntilTheUpstreamAcceptsIt() async throws {
        let upstream = try ScriptedUpstream(mode: .status(401, retryAfter: nil))
        defer { upstream.stop() }
        let sink = try Self.makeSink(upstream.url)
        defer { sink.close() }
        let block = RelayUnitTests.block([RelayUnitTests.line("ds", "{}")])
        #expect(await Self.deliver(sink, block) == .failed(reason: "unauthorized"))
        #expect(!sink.isReachable)
        #expect(sink.health == .unauthorized)
        upstream.setMode(.accept)
        #expect(await Self.deliver(sink, block) == .delivered(rejected: []))
        #expect(sink.isReachable)
    }

    @Test func aRefusedKeyIsLoggedOncePerChange() async throws {
        let upstream = try ScriptedUpstream(mode: .status(403, retryAfter: nil))
        defer { upstream.stop() }
        let lines = LogLines()
        var configuration = RelayConfiguration(upstreamURL: upstream.url, apiKey: "k")
        configuration.linger = .zero
        let sink = try RelaySink(
            configuration: configuration, logger: Logger(label: "relay-log") { _ in CapturingLogHandler(into: lines) }
        )
        defer { sink.close() }
        let block = RelayUnitTests.block([RelayUnitTests.line("ds", "{}")])
        for _ in 0..<3 { #expect(await Self.deliver(sink, block) == .failed(reason: "unauthorized")) }
        upstream.setMode(.accept)
        for _ in 0..<2 { #expect(await Self.deliver(sink, block) == .delivered(rejected: [])) }
        #expect(lines.all.count == 2, "\(lines.all)")
        #expect(lines.all.first?.contains("refuses our key") == true)
    }

    @Test func refusedConnectionFailsTheBlock() async throws {
        // A port that was just free: start and stop a server on it.
        let probe = try ScriptedUpstream()
        let port = probe.port
        probe.stop()
        let counter = RequestCounter()
        let sink = try Self.makeSink("http://127.0.0.1:\(port)", observer: counter)
        defer { sink.close() }
        let block = RelayUnitTests.block([RelayUnitTests.line("ds", "{}")])
        #expect(await Self.deliver(sink, block) == .failed(reason: "connect_failed"))
        #expect(sink.health == .unreachable)
        #expect(counter.classes == ["error"])
    }

    @Test func manyBlocksShareBatchesAndEachIsReportedOnce() async throws {
        let upstream = try ScriptedUpstream()
        defer { upstream.stop() }
        let sink = try Self.makeSink(upstream.url) { $0.batchEvents = 50; $0.maxInFlight = 2 }
        defer { sink.close() }
        let outcomes = Lock<[Int: SinkOutcome]>([:])
        for index in 0..<200 {
            let block = RelayUnitTests.block([RelayUnitTests.line("ds\(index % 3)", #"{"i":\#(index)}"#)])
            sink.deliver(block) { outcome in
                outcomes.withLock { $0[index] = $0[index] == nil ? outcome : .failed(reason: "reported twice") }
            }
        }
        #expect(sink.flush(timeout: .seconds(10)))
        let reported = outcomes.withLock { $0 }
        #expect(reported.count == 200)
        #expect(reported.values.allSatisfy { $0 == .delivered(rejected: []) })
        #expect(upstream.acceptedItems.count == 200)
        #expect(upstream.received.count < 200, "blocks were batched together")
    }

    @Test func closingReportsWhatIsPendingAsFailed() async throws {
        let upstream = try ScriptedUpstream(mode: .accept)
        let url = upstream.url
        upstream.stop()
        let sink = try Self.makeSink(url) { $0.timeout = .seconds(30) }
        let outcome = Lock<SinkOutcome?>(nil)
        sink.deliver(RelayUnitTests.block([RelayUnitTests.line("ds", "{}")])) { result in outcome.withLock { $0 = result } }
        sink.close()
        #expect(outcome.withLock { $0 } != nil, "reported by the time close returns")
        let late = Lock(false)
        sink.deliver(RelayUnitTests.block([RelayUnitTests.line("ds", "{}")])) { _ in late.withLock { $0 = true } }
        #expect(!late.withLock { $0 }, "after close, blocks are abandoned, not reported")
        #expect(sink.flush(timeout: .zero))
    }

    @Test func configurationProblemsAreRefused() {
        #expect(throws: RelayError.self) { try Self.makeSink("ftp://x") }
        #expect(throws: RelayError.self) { try Self.makeSink("http://x", key: "") }
        #expect(throws: RelayError.self) { try Self.makeSink("http://x") { $0.batchBytes = 6_000_000 } }
        #expect(throws: RelayError.self) { try Self.makeSink("http://x") { $0.maxInFlight = 0 } }
    }
}

final class RequestCounter: RelayObserver {
    private let seen = Lock<[String]>([])
    func upstreamRequestFinished(statusClass: String, events: Int, sentBytes: Int, duration: Duration) {
        seen.withLock { $0.append(statusClass) }
    }
    var classes: [String] { seen.withLock { $0 } }
}

/// Keeps the messages logged through it, for counting log lines.
final class LogLines: Sendable {
    private let lines = Lock<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}

struct CapturingLogHandler: LogHandler {
    let into: LogLines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        into.append(event.message.description)
    }
}
