/// Limits applied while decoding Honeycomb requests. The per-event limits (fields, event bytes, string
/// bytes) apply identically to JSON and msgpack batches and to `/1/events`.
public struct IngestLimits: Sendable, Equatable {
    /// Event times later than receive time plus this are replaced by the receive time (Honeycomb's
    /// documented rule). Default 1 hour.
    public var maxFutureSkewNanos: Int64
    /// Largest decoded (decompressed) request body; larger bodies are ``IngestError/tooLarge``.
    /// Default 20 MiB (husky's OTLP default; well above the 5,000,000-byte batches libhoney-go and
    /// Refinery build). For msgpack it also caps the JSON that the accepted events become.
    public var maxDecodedBodyBytes: Int
    /// Most top-level fields in one event's `data` (repeated keys counted each time). More: per-event 400
    /// "Event has too many columns." (Honeycomb's documented text; its schema says `maxProperties: 2000`).
    public var maxFieldsPerEvent: Int
    /// Largest `data` object, in bytes of its JSON as sent (for msgpack: of its compact JSON form), before
    /// any string is cut. More: per-event 400 "Event is too large." Honeycomb documents "less than 1 MB of
    /// uncompressed JSON" and libhoney-go/Refinery use 1,000,000 bytes; Honeycomb's error text for it is
    /// not documented, so the text is Kelpie's.
    public var maxEventBytes: Int
    /// Longest string value inside `data`, in UTF-8 bytes (after JSON unescaping). Longer strings are
    /// truncated at a character boundary, not rejected: Honeycomb documents a 64 KB string limit and its
    /// storage (retriever; husky's `fieldSizeMax`) enforces it by truncation. Keys are not cut. Negative
    /// values count as 0.
    public var maxStringValueBytes: Int

    public static let defaultMaxFutureSkewNanos: Int64 = 3_600 * 1_000_000_000
    public static let defaultMaxDecodedBodyBytes = 20 * 1024 * 1024
    public static let defaultMaxFieldsPerEvent = 2_000
    public static let defaultMaxEventBytes = 1_000_000
    public static let defaultMaxStringValueBytes = 65_536

    public init(
        maxFutureSkewNanos: Int64 = IngestLimits.defaultMaxFutureSkewNanos,
        maxDecodedBodyBytes: Int = IngestLimits.defaultMaxDecodedBodyBytes,
        maxFieldsPerEvent: Int = IngestLimits.defaultMaxFieldsPerEvent,
        maxEventBytes: Int = IngestLimits.defaultMaxEventBytes,
        maxStringValueBytes: Int = IngestLimits.defaultMaxStringValueBytes
    ) {
        self.maxFutureSkewNanos = maxFutureSkewNanos
        self.maxDecodedBodyBytes = maxDecodedBodyBytes
        self.maxFieldsPerEvent = maxFieldsPerEvent
        self.maxEventBytes = maxEventBytes
        self.maxStringValueBytes = maxStringValueBytes
    }
}
