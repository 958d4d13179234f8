/// Limits applied while decoding Honeycomb requests.
public struct IngestLimits: Sendable, Equatable {
    /// Event times later than receive time plus this are replaced by the receive time (Honeycomb's
    /// documented rule). Default 1 hour.
    public var maxFutureSkewNanos: Int64
    /// Largest decoded (decompressed) request body; larger bodies are ``IngestError/tooLarge``.
    /// Default 20 MiB (husky's OTLP default; well above the 5,000,000-byte batches libhoney-go and
    /// Refinery build).
    public var maxDecodedBodyBytes: Int

    public static let defaultMaxFutureSkewNanos: Int64 = 3_600 * 1_000_000_000
    public static let defaultMaxDecodedBodyBytes = 20 * 1024 * 1024

    public init(
        maxFutureSkewNanos: Int64 = IngestLimits.defaultMaxFutureSkewNanos,
        maxDecodedBodyBytes: Int = IngestLimits.defaultMaxDecodedBodyBytes
    ) {
        self.maxFutureSkewNanos = maxFutureSkewNanos
        self.maxDecodedBodyBytes = maxDecodedBodyBytes
    }
}
