/// Limits applied while turning OTLP into events. Every default follows husky or Honeycomb.
public struct OTLPLimits: Sendable, Equatable {
    /// kvlist attributes are flattened into `parent.child` keys this many levels deep; deeper values
    /// become a JSON string (husky `maxDepth`).
    public var maxAttributeFlattenDepth: Int
    /// JSON strings made from arrays, bytes and deep kvlists are cut to this many bytes, at a UTF-8
    /// character boundary (husky `fieldSizeMax`, Honeycomb's storage limit).
    public var maxJSONStringFieldBytes: Int
    /// Nesting of AnyValue arrays/kvlists (and of OTLP/JSON containers) beyond this is `.malformed`,
    /// so a hostile body cannot exhaust the stack.
    public var maxNestingDepth: Int
    /// An item whose event (or one of its span events / links) is bigger than this is rejected and
    /// counted in `partial_success` (Honeycomb's 1 MB per-event limit).
    public var maxEventBytes: Int
    /// Item times later than receive time plus this are replaced by the receive time (Honeycomb rule).
    public var maxFutureSkewNanos: Int64

    public static let defaultMaxAttributeFlattenDepth = 5
    public static let defaultMaxJSONStringFieldBytes = 65_535
    public static let defaultMaxNestingDepth = 100
    /// The same Honeycomb rules as the events API's, from one place.
    public static let defaultMaxEventBytes = IngestLimits.defaultMaxEventBytes
    public static let defaultMaxFutureSkewNanos = IngestLimits.defaultMaxFutureSkewNanos

    public init(
        maxAttributeFlattenDepth: Int = OTLPLimits.defaultMaxAttributeFlattenDepth,
        maxJSONStringFieldBytes: Int = OTLPLimits.defaultMaxJSONStringFieldBytes,
        maxNestingDepth: Int = OTLPLimits.defaultMaxNestingDepth,
        maxEventBytes: Int = OTLPLimits.defaultMaxEventBytes,
        maxFutureSkewNanos: Int64 = OTLPLimits.defaultMaxFutureSkewNanos
    ) {
        self.maxAttributeFlattenDepth = maxAttributeFlattenDepth
        self.maxJSONStringFieldBytes = maxJSONStringFieldBytes
        self.maxNestingDepth = maxNestingDepth
        self.maxEventBytes = maxEventBytes
        self.maxFutureSkewNanos = maxFutureSkewNanos
    }
}
