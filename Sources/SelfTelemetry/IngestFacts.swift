/// What the ingest admission learned about one request, attached to its answer for self-telemetry. Filled
/// step by step, so a refused request carries what was known when it was refused.
public struct IngestFacts: Sendable, Equatable {
    /// The input format (`json`, `msgpack`, `otlp_traces`, …), once screening passed.
    public var format: String?
    /// The dataset the path names, or the first one an OTLP request decoded into.
    public var dataset: String?
    /// The sender's key id (never the key).
    public var keyID: String?
    /// Why the whole request was refused (`kelpie_ingest_refusals_total`'s reason), nil when it was not.
    public var refusal: String?
    public var eventsAccepted = 0
    /// Events refused one by one (decoder per-event 4xx, sink rejections with ack=delivered).
    public var eventsRejected = 0
    /// The body as received (still encoded) and after content decoding.
    public var bodyBytes: Int?
    public var decodedBytes: Int?
    /// The encoding undone (`identity`, `gzip`, `zstd`; gRPC's `grpc-encoding`).
    public var contentEncoding: String?
    /// Content decoding plus format decoding, on the lane.
    public var decodeDuration: Duration?
    /// From the end of decoding (the batches go to the pipeline next) to the answer built on the lane: the WAL's group commit and
    /// fsync with ack=durable, the sink's confirmation with ack=delivered, the hop back to the lane.
    public var durabilityWait: Duration?

    public init() {}
}
