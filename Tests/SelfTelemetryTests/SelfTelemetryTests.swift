import Foundation
import Locking
import Pipeline
@testable import SelfTelemetry
import Testing
import TestSupport

/// The sender stand-in: records every block and answers as told (at once, or held until the test answers).
final class RecordingSink: Sink, @unchecked Sendable {  // unchecked: all state sits in `state`
    enum Mode: Sendable { case deliver, fail, hold }
    struct State {
        var mode: Mode
        var blocks: [SinkBlock] = []
        var held: [(Int, @Sendable (SinkOutcome) -> Void)] = []
        var closed = false
    }

    let name = "recording"
    let state: Lock<State>

    init(_ mode: Mode) { state = Lock(State(mode: mode)) }

    func deliver(_ block: SinkBlock, completion: @escaping @Sendable (SinkOutcome) -> Void) {
        let mode = state.withLock { state -> Mode in
            state.blocks.append(block)
            if state.mode == .hold { state.held.append((block.events.count, completion)) }
            return state.mode
        }
        switch mode {
        case .deliver: completion(.delivered(rejected: []))
        case .fail: completion(.failed(reason: "connect_failed"))
        case .hold: break
        }
    }

    func flush(timeout: Duration) -> Bool { state.withLock { $0.held.isEmpty } }

    func close() {
        let held = state.withLock { state in
            defer { state.held = []; state.closed = true }
            return state.held
        }
        for (_, completion) in held { completion(.failed(reason: "closed")) }
    }

    /// Every event line sent so far, parsed.
    var lines: [[String: Any]] {
        state.withLock { $0.blocks }.flatMap { block in
            block.events.indices.map { index in
                (try? JSONSerialization.jsonObject(with: Data(block.line(of: index)))) as? [String: Any] ?? [:]
            }
        }
    }
}

/// Counts what the reporter reports, as the metrics would.
final class RecordingObserver: SelfTelemetryObserver, @unchecked Sendable {  // unchecked: all state sits in `counts`
    let counts = Lock<[String: Int]>([:])
    func selfTelemetrySent(events: Int) { counts.withLock { $0["sent", default: 0] += events } }
    func selfTelemetryDropped(events: Int, reason: String) { counts.withLock { $0[reason, default: 0] += events } }
    func selfTelemetryQueued(events: Int) { counts.withLock { $0["queued"] = events } }
    subscript(_ key: String) -> Int { counts.withLock { $0[key] ?? 0 } }
}

@Suite struct SelfTelemetryTests {
    static let context = DeploymentContext(
        version: "1.2.3", instance: "abc", host: "h1", pod: "kelpie-0", namespace: "kelpie-prod", node: "node-a",
        isKubernetes: true
    )

    static func request(status: Int = 200, refusal: String? = nil, userAgent: String? = "libhoney-go/1.0") -> RequestEvent {
        let facts = IngestFacts()
        facts.format = "json"
        facts.dataset = "orders"
        facts.keyID = "0123456789abcdef"
        facts.refusal = refusal
        facts.eventsAccepted = 3
        facts.eventsRejected = 1
        facts.bodyBytes = 100
        facts.decodedBytes = 400
        facts.contentEncoding = "zstd"
        let start = ContinuousClock.now
        facts.decodeStartedAt = start
        facts.decodedAt = start + .microseconds(12)
        facts.storedAt = start + .microseconds(812)
        return RequestEvent(
            route: "/1/batch/{dataset}", method: "POST", status: status, protocolName: "http/1.1", requestBytes: 250,
            contentType: "application/json", userAgent: userAgent, duration: .microseconds(1_000),
            read: .microseconds(50), handle: .microseconds(900), write: .microseconds(40), connectionReused: true,
            lane: 1, ingest: facts
        )
    }

    static func configuration(_ configure: (inout SelfTelemetryConfiguration) -> Void = { _ in }) -> SelfTelemetryConfiguration {
        var configuration = SelfTelemetryConfiguration(url: "http://127.0.0.1:1", apiKey: "k")
        configuration.flushInterval = .milliseconds(20)
        // One process event (at start) in every test that counts events exactly, however slow the machine;
        // the process-event test sets its own interval.
        configuration.processInterval = .seconds(3600)
        configure(&configuration)
        return configuration
    }

    static func sample() -> ProcessSample {
        ProcessSample(
            residentBytes: 1 << 20, cpuSeconds: 1.5, openConnections: 3, queueBytes: 10, walBytes: 20, sink: "spool",
            sinkLagBytes: 0
        )
    }

    // MARK: the queue

    @Test func theBufferHoldsAtMostItsCapacityCountingEventsInFlight() {
        var buffer = TelemetryBuffer(capacity: 3, blockEvents: 2)
        let event = TelemetryEvent(timeUnixNanos: 0, sampleRate: 1, body: .request(Self.request()))
        #expect(buffer.offer(event) == .queued)
        #expect(buffer.offer(event) == .queuedFlushNow, "a full block asks for a flush")
        #expect(buffer.offer(event) == .queued, "once per block")
        #expect(buffer.offer(event) == .full)
        #expect(buffer.takeBlock(maxEvents: 2).count == 2)
        #expect(buffer.queued == 3, "taken events still count until finished")
        #expect(buffer.offer(event) == .full)
        buffer.finished(events: 2)
        #expect(buffer.offer(event) == .queuedFlushNow)
        #expect(buffer.close() == 2)
        #expect(buffer.offer(event) == .closed)
    }

    // MARK: the lines

    @Test func eventsAreCanonicalLinesWithTheDocumentedFields() throws {
        let encoder = TelemetryLineEncoder(dataset: "kelpie", context: Self.context, maxFieldBytes: 256)
        let block = encoder.block([
            TelemetryEvent(timeUnixNanos: 1_700_000_000_123_456_789, sampleRate: 10, body: .request(Self.request())),
        ])
        #expect(block.events.count == 1 && block.malformedLines == 0)
        #expect(block.dataset(of: 0) == "kelpie")
        let line = try #require(try JSONSerialization.jsonObject(with: Data(block.line(of: 0))) as? [String: Any])
        #expect(line["time"] as? String == "2023-11-14T22:13:20.123456789Z")
        #expect(line["samplerate"] as? Int == 10)
        let data = try #require(line["data"] as? [String: Any])
        let expected: [String: Any] = [
            "kind": "request", "route": "/1/batch/{dataset}", "method": "POST", "status": 200, "protocol": "http/1.1",
            "dataset": "orders", "format": "json", "events_accepted": 3, "events_rejected": 1, "request_bytes": 250,
            "body_bytes": 100, "decoded_bytes": 400, "content_type": "application/json", "content_encoding": "zstd",
            "duration_us": 1_000, "read_us": 50, "handle_us": 900, "decode_us": 12, "durability_wait_us": 800,
            "write_us": 40, "key_id": "0123456789abcdef", "user_agent": "libhoney-go/1.0", "connection": "reused",
            "lane": 1, "version": "1.2.3", "instance": "abc", "host": "h1", "pod": "kelpie-0",
            "namespace": "kelpie-prod", "node": "node-a", "is_kubernetes": true,
        ]
        #expect(canonicalJSON(data) == canonicalJSON(expected))
    }

    @Test func longTextIsCutOnACharacterBoundaryAndUnknownFieldsAreLeftOut() throws {
        let encoder = TelemetryLineEncoder(
            dataset: "kelpie", context: DeploymentContext(version: "v", instance: "i", host: "h"), maxFieldBytes: 8
        )
        var request = Self.request(userAgent: "abcdefgé\"xyz")  // é straddles byte 8
        request.ingest = nil
        let block = encoder.block([TelemetryEvent(timeUnixNanos: 0, sampleRate: 1, body: .request(request))])
        let line = try #require(try JSONSerialization.jsonObject(with: Data(block.line(of: 0))) as? [String: Any])
        let data = try #require(line["data"] as? [String: Any])
        #expect(data["user_agent"] as? String == "abcdefg")
        for absent in ["dataset", "key_id", "refusal", "decode_us", "pod", "namespace", "node", "events_accepted"] {
            #expect(data[absent] == nil, "\(absent) is unknown and left out")
        }
        #expect(data["is_kubernetes"] as? Bool == false)
    }

    // MARK: the reporter

    @Test func oneInNSuccessesIsKeptWithSamplerateNAndErrorsAndRefusalsAlways() async throws {
        let sink = RecordingSink(.deliver)
        let observer = RecordingObserver()
        let reporter = SelfTelemetryReporter(
            configuration: Self.configuration { $0.sampleRate = 4 }, context: Self.context, sink: sink,
            observer: observer, processSample: Self.sample
        )
        reporter.start()
        var kept = 0
        for _ in 0..<40 {
            if let rate = reporter.sampleRate(status: 200, refused: false) {
                #expect(rate == 4)
                kept += 1
                reporter.record(Self.request(), sampleRate: rate)
            }
        }
        #expect(kept == 10)
        for status in [400, 503] {
            #expect(reporter.sampleRate(status: status, refused: false) == 1)
            reporter.record(Self.request(status: status), sampleRate: 1)
        }
        // gRPC refusals answer HTTP 200: the refusal alone keeps them.
        #expect(reporter.sampleRate(status: 200, refused: true) == 1)
        reporter.record(Self.request(refusal: "queue_full"), sampleRate: 1)
        #expect(await waitUntil { observer["sent"] == 14 }, "1 process event + 10 sampled + 3 kept")
        let requests = sink.lines.filter { ($0["data"] as? [String: Any])?["kind"] as? String == "request" }
        // Sampled and kept events together stand for every request: 10 × 4 + 3 × 1.
        #expect(requests.reduce(0) { $0 + ($1["samplerate"] as? Int ?? 0) } == 43)
        reporter.stop()
        #expect(observer["shutdown"] == 0)
    }

    @Test func theFirstProcessEventIsSentAtStartWithTheSampleAndTheContext() async throws {
        let sink = RecordingSink(.deliver)
        let reporter = SelfTelemetryReporter(
            configuration: Self.configuration(), context: Self.context, sink: sink, observer: nil, processSample: Self.sample
        )
        reporter.start()
        #expect(await waitUntil { !sink.lines.isEmpty })
        let data = try #require(sink.lines.first?["data"] as? [String: Any])
        #expect(data["kind"] as? String == "process")
        #expect(data["rss_bytes"] as? Int == 1 << 20)
        #expect(data["cpu_seconds"] as? Double == 1.5)
        #expect(data["open_connections"] as? Int == 3)
        #expect(data["queue_bytes"] as? Int == 10)
        #expect(data["wal_bytes"] as? Int == 20)
        #expect(data["sink"] as? String == "spool")
        #expect(data["sink_lag_bytes"] as? Int == 0)
        #expect(data["requests"] as? Int == 0)
        #expect(data["pod"] as? String == "kelpie-0")
        #expect(sink.lines.first?["samplerate"] as? Int == 1)
        reporter.stop()
    }

    @Test func processEventsCountTheRequestsRefusalsAndDropsOfTheirInterval() async throws {
        let sink = RecordingSink(.deliver)
        let reporter = SelfTelemetryReporter(
            configuration: Self.configuration { $0.processInterval = .milliseconds(100) }, context: Self.context,
            sink: sink, observer: nil, processSample: Self.sample
        )
        reporter.start()
        #expect(await waitUntil { sink.lines.count >= 1 })
        _ = reporter.sampleRate(status: 200, refused: false)
        _ = reporter.sampleRate(status: 503, refused: true)
        _ = reporter.sampleRate(status: 404, refused: false)
        func processEvents() -> [[String: Any]] {
            sink.lines.compactMap { $0["data"] as? [String: Any] }.filter { $0["kind"] as? String == "process" }
        }
        // A process event may fall between the three calls: the intervals' counts add up either way.
        func total(_ field: String) -> Int { processEvents().reduce(0) { $0 + ($1[field] as? Int ?? 0) } }
        #expect(await waitUntil { total("requests") == 3 })
        #expect(total("errors") == 2)
        #expect(total("refusals") == 1)
        #expect(processEvents().dropFirst().allSatisfy { $0["cpu_percent"] as? Double == 0 }, "the sample's CPU time did not move")
        #expect(processEvents().first?["cpu_percent"] == nil, "no CPU share before a first interval")
        reporter.stop()
    }

    @Test func aFailingUpstreamDropsAndCountsWithoutBlocking() async throws {
        let sink = RecordingSink(.fail)
        let observer = RecordingObserver()
        let reporter = SelfTelemetryReporter(
            configuration: Self.configuration(), context: Self.context, sink: sink, observer: observer,
            processSample: Self.sample
        )
        reporter.start()
        for _ in 0..<50 { reporter.record(Self.request(), sampleRate: 1) }
        #expect(await waitUntil { observer["send_failed"] == 51 }, "50 request events and the process event")
        #expect(observer["sent"] == 0)
        #expect(await waitUntil { observer["queued"] == 0 })
        reporter.stop()
    }

    @Test func aStalledUpstreamFillsTheQueueThenNewEventsAreDroppedAndCounted() async throws {
        let sink = RecordingSink(.hold)
        let observer = RecordingObserver()
        let reporter = SelfTelemetryReporter(
            configuration: Self.configuration { $0.maxQueuedEvents = 100; $0.maxEventsPerBlock = 10 },
            context: Self.context, sink: sink, observer: observer, processSample: Self.sample
        )
        reporter.start()
        #expect(await waitUntil { sink.state.withLock { $0.blocks.count } == 1 }, "the process event is in flight")
        let started = ContinuousClock.now
        for _ in 0..<1_000 { reporter.record(Self.request(), sampleRate: 1) }
        let elapsed = ContinuousClock.now - started
        #expect(elapsed < .seconds(1), "recording never waits on the upstream (took \(elapsed))")
        #expect(observer["queue_full"] == 901, "100 fit, the process event among them")
        // Stop: what is held in flight or waiting is dropped as shutdown.
        reporter.stop()
        #expect(observer["shutdown"] == 100)
        #expect(observer["queued"] == 0)
        reporter.record(Self.request(), sampleRate: 1)
        #expect(observer["shutdown"] == 101, "after stop every event is dropped and counted")
    }
}
