/// The canonical form every input format decodes into: events of one dataset from one request, sharing
/// one body buffer. This is what the pipeline accepts, writes to the WAL and hands to sinks.
public struct EventBatch: Sendable {
    /// Dataset name, percent-decoded, as the client addressed it (case kept; comparisons are the sink's concern).
    public var dataset: String
    /// Short, stable identity of the API key (see ``APIKeyID``); never the raw key.
    public var keyID: String
    /// Bytes that the records' `dataRange`s point into: valid JSON objects, UTF-8.
    public var body: [UInt8]
    /// Accepted events, in request order.
    public var events: [EventRecord]

    public init(dataset: String, keyID: String, body: [UInt8], events: [EventRecord]) {
        self.dataset = dataset
        self.keyID = keyID
        self.body = body
        self.events = events
    }

    /// Total bytes of the events' `data` objects; what admission control charges for the batch.
    public var dataByteCount: Int {
        var total = 0
        for event in events { total += event.dataRange.count }
        return total
    }
}
