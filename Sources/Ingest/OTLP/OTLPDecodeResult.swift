public import EventModel
/// The flat Honeycomb events made from one OTLP request.
public struct OTLPDecodeResult: Sendable {
    /// One batch per dataset, in order of first appearance; events in request order within each
    /// (a span's span events and links come right before the span, as husky emits them).
    public var batches: [EventBatch]
    /// Spans, log records or data points turned into events.
    public var acceptedItems: Int
    /// Spans, log records or data points dropped; goes into `partial_success`.
    public var rejectedItems: Int
    /// Why items were rejected (English, for `partial_success.error_message`); nil when none were.
    public var rejectionMessage: String?

    public init(batches: [EventBatch], acceptedItems: Int, rejectedItems: Int, rejectionMessage: String?) {
        self.batches = batches
        self.acceptedItems = acceptedItems
        self.rejectedItems = rejectedItems
        self.rejectionMessage = rejectionMessage
    }

    /// Total events over all batches (span events and links count as events, not as items).
    public var eventCount: Int {
        var total = 0
        for batch in batches { total += batch.events.count }
        return total
    }
}
