import Ingest
@testable import KelpieApp
import Pipeline
import Testing

/// Where the sink's rejections land in a batch reply: the n-th accepted entry is event n of the batch.
@Suite struct HoneycombSinkRejectionTests {
    @Test func rejectionsReplaceTheAcceptedEntriesTheyIndexAndSkipDecoderRejections() {
        let decoded: [EventStatus] = [.accepted, .rejected(status: 400, message: "bad"), .accepted, .accepted]
        let merged = HoneycombFormat.statuses(decoded, sinkRejected: [SinkRejection(eventIndex: 1, reason: "unknown_topic")])
        #expect(merged == [
            .accepted, .rejected(status: 400, message: "bad"),
            .rejected(status: 400, message: HoneycombFormat.sinkRejectionMessage("unknown_topic")), .accepted,
        ])
        #expect(HoneycombFormat.statuses(decoded, sinkRejected: []) == decoded)
    }
}
