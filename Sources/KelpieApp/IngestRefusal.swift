/// Why a whole ingest request was refused; the `reason` label of `kelpie_ingest_refusals_total`.
public enum IngestRefusal: String, Sendable, CaseIterable {
    case unauthorized
    case forbidden
    case invalidDataset = "invalid_dataset"
    case emptyBody = "empty_body"
    case malformed
    /// A single event (`/1/events`) broke a per-event limit (too many fields, too large).
    case invalidEvent = "invalid_event"
    case bodyTooLarge = "body_too_large"
    case decodedTooLarge = "decoded_too_large"
    case unsupportedEncoding = "unsupported_encoding"
    /// The key is over its events-per-second limit (429).
    case rateLimited = "rate_limited"
    case queueFull = "queue_full"
    case draining
    case walWriteFailed = "wal_write_failed"
    /// The memory budget (`--max-inflight-bytes`) had no room for the decoded body.
    case memoryBudget = "memory_budget"
}
