import Pipeline
import Testing
@testable import RelaySink

/// The relay's pure parts: slicing canonical lines into batch items, reading batch answers, batching.
@Suite struct RelayUnitTests {
    static func line(_ dataset: String, _ data: String, time: String = "2024-01-02T03:04:05.123456789Z", rate: Int = 1) -> String {
        #"{"dataset":"\#(dataset)","time":"\#(time)","samplerate":\#(rate),"key_id":"00ff00ff00ff00ff","data":\#(data)}"#
    }

    static func block(_ lines: [String]) -> SinkBlock {
        SinkBlock(lines: Array(lines.map { $0 + "\n" }.joined().utf8))
    }

    @Test func batchItemIsTheLineWithoutDatasetAndKeyID() {
        let block = Self.block([Self.line(#"a\"b"#, #"{"x":"\"key_id\":","n":[1,{"y":2}]}"#, rate: 7)])
        var body: [UInt8] = []
        BatchItemEncoder.appendItem(of: block, event: 0, to: &body)
        #expect(String(decoding: body, as: UTF8.self)
            == #"{"time":"2024-01-02T03:04:05.123456789Z","samplerate":7,"data":{"x":"\"key_id\":","n":[1,{"y":2}]}}"#)
        #expect(BatchItemEncoder.itemByteCount(of: block, event: 0) == body.count)
    }

    @Test func batchAnswerStatusesAreReadInOrder() {
        #expect(BatchResponseParser.statuses(Array(#"[{"status":202},{"error":"x \"status\":500","status":400}]"#.utf8)) == [202, 400])
        #expect(BatchResponseParser.statuses(Array(" [ ] ".utf8)) == [])
        #expect(BatchResponseParser.statuses(Array(#"[{"status":202,"extra":{"status":1}}]"#.utf8)) == [202])
        #expect(BatchResponseParser.statuses(Array(#"{"status":202}"#.utf8)) == nil)
        #expect(BatchResponseParser.statuses(Array(#"[{"error":"no status"}]"#.utf8)) == nil)
        #expect(BatchResponseParser.statuses(Array(#"[{"status":202}"#.utf8)) == nil)
    }

    @Test func verdictsFollowTheStatus() {
        func verdict(_ status: Int?, _ body: String = "", retryAfter: Int64? = nil, error: String? = nil, events: Int = 2) -> UpstreamVerdict {
            UpstreamVerdict.of(httpStatus: status, body: Array(body.utf8), retryAfterSeconds: retryAfter,
                               transportError: error, eventCount: events, maxRetryAfter: .seconds(60))
        }
        #expect(verdict(200, #"[{"status":202},{"status":400}]"#) == .perEvent([202, 400]))
        #expect(verdict(200, #"[{"status":202}]"#) == .failed(reason: "upstream_bad_answer", retryAfter: nil))
        #expect(verdict(429, retryAfter: 3) == .failed(reason: "upstream_429", retryAfter: .seconds(3)))
        #expect(verdict(503, retryAfter: 3600) == .failed(reason: "upstream_503", retryAfter: .seconds(60)))
        #expect(verdict(401) == .failed(reason: "unauthorized", retryAfter: nil))
        #expect(verdict(403) == .failed(reason: "unauthorized", retryAfter: nil))
        #expect(verdict(400) == .rejectAll(reason: "upstream_400"))
        #expect(verdict(502) == .failed(reason: "upstream_5xx", retryAfter: nil))
        #expect(verdict(nil, error: "connect_failed") == .failed(reason: "connect_failed", retryAfter: nil))
        #expect(UpstreamVerdict.health(httpStatus: 401, transportError: nil) == .unauthorized)
        #expect(UpstreamVerdict.health(httpStatus: 500, transportError: nil) == .reachable)
        #expect(UpstreamVerdict.health(httpStatus: nil, transportError: "connect_failed") == .unreachable)
        #expect(UpstreamVerdict.health(httpStatus: nil, transportError: "timed_out") == nil)
        #expect(UpstreamVerdict.statusClass(nil) == "error")
        #expect(UpstreamVerdict.statusClass(429) == "4xx")
    }

    @Test func datasetIsOnePathSegment() {
        #expect(DatasetPath.encode("my ds/x%é") == "my%20ds%2Fx%25%C3%A9")
        #expect(DatasetPath.encode("a-b.c_d~e") == "a-b.c_d~e")
    }

    @Test func batchesArePerDatasetAndCutByCountAndBytes() {
        var batcher = RelayBatcher(batchEvents: 2, batchBytes: 1024, linger: .seconds(60))
        let now = ContinuousClock.now
        let block = Self.block([
            Self.line("a", #"{"i":0}"#), Self.line("b", #"{"i":1}"#), Self.line("a", #"{"i":2}"#),
            Self.line("a", #"{"i":3}"#),
        ])
        #expect(batcher.add(block, id: 7, now: now) == nil)
        // "a" reached two events: sealed. "b" and the second "a" wait (linger 60 s) while the only slot is taken.
        let first = batcher.takeReady(limit: 1)
        #expect(first.map(\.dataset) == ["a"])
        #expect(first[0].items == [.init(block: 7, event: 0), .init(block: 7, event: 2)])
        #expect(String(decoding: first[0].body, as: UTF8.self).hasPrefix(#"[{"time":"#))
        batcher.sealDue(now: now, maxInFlight: 1)
        #expect(batcher.takeReady(limit: 1).isEmpty, "the one slot is in flight: the rest lingers")
        #expect(batcher.finished(first[0], verdict: .perEvent([202, 400])).isEmpty, "block 7 still has events out")
        // Slots are free: what is open is sealed at once, one batch per free slot, without the linger.
        batcher.sealDue(now: now, maxInFlight: 2)
        let rest = batcher.takeReady(limit: 4)
        #expect(Set(rest.map(\.dataset)) == ["a", "b"])
        var outcomes: [(id: UInt64, outcome: SinkOutcome)] = []
        for request in rest { outcomes += batcher.finished(request, verdict: .perEvent(request.items.map { _ in 202 })) }
        #expect(outcomes.count == 1)
        #expect(outcomes.first?.outcome == .delivered(rejected: [SinkRejection(eventIndex: 2, reason: "upstream_400")]))
        #expect(batcher.pendingBlocks == 0)
    }

    @Test func aBlockFailsIfAnyOfItsRequestsFailedWithTheLongestRetryAfter() {
        var batcher = RelayBatcher(batchEvents: 1, batchBytes: 1024, linger: .zero)
        let block = Self.block([Self.line("a", "{}"), Self.line("a", "{}"), Self.line("a", "{}")])
        _ = batcher.add(block, id: 1, now: .now)
        let requests = batcher.takeReady(limit: 3)
        #expect(requests.count == 3)
        #expect(batcher.finished(requests[0], verdict: .failed(reason: "upstream_429", retryAfter: .seconds(2))).isEmpty)
        #expect(batcher.finished(requests[1], verdict: .perEvent([202])).isEmpty)
        let done = batcher.finished(requests[2], verdict: .failed(reason: "upstream_503", retryAfter: .seconds(5)))
        #expect(done.first?.outcome == .failed(reason: "upstream_429", retryAfter: .seconds(5)))
    }

    @Test func anEmptyBlockIsDeliveredAtOnceAndTooLargeBatchesAreCut() {
        var batcher = RelayBatcher(batchEvents: 100, batchBytes: 200, linger: .zero)
        #expect(batcher.add(SinkBlock(lines: []), id: 1, now: .now) == .delivered(rejected: []))
        let big = String(repeating: "x", count: 60)
        let block = Self.block((0..<4).map { _ in Self.line("a", #"{"p":"\#(big)"}"#) })
        _ = batcher.add(block, id: 2, now: .now)
        batcher.sealDue(now: .now, maxInFlight: 10)
        let requests = batcher.takeReady(limit: 10)
        #expect(requests.count == 4, "each item is ~110 bytes: two do not fit in 200")
        #expect(requests.allSatisfy { $0.body.count <= 200 })
    }
}
