/// What the ingest admission learned about one request, attached to its answer for self-telemetry. Filled
/// step by step, so a refused request carries what was known when it was refused.
///
/// A class, made once per request only while self-telemetry is on: the admission fills it in place and the
/// answer carries a reference, so nothing is copied or boxed per step; instants rather than durations, so a
/// request that sampling leaves out does no arithmetic.
public final class IngestFacts: @unchecked Sendable {  // unchecked: filled on the connection's lane while the request is admitted (the pipeline's completion only carries it back to the lane); read-only once the answer is written
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
    /// Content decoding starts, and format decoding ends: the batches go to the pipeline next.
    public var decodeStartedAt: ContinuousClock.Instant?
    public var decodedAt: ContinuousClock.Instant?
    /// The answer to stored batches is built back on the lane (after the WAL's fsync with ack=durable, the
    /// sink's confirmation with ack=delivered).
    public var storedAt: ContinuousClock.Instant?

    public init() {}

    /// Content decoding plus format decoding, on the lane.
    public var decodeDuration: Duration? {
        guard let decodeStartedAt else { return nil }
        return (decodedAt ?? decodeStartedAt) - decodeStartedAt
    }

    /// From the end of decoding to the answer built on the lane: the WAL's group commit and fsync with
    /// ack=durable, the sink's confirmation with ack=delivered, and the hop back to the lane.
    public var durabilityWait: Duration? {
        guard let decodedAt, let storedAt else { return nil }
        return storedAt - decodedAt
    }
}
