/// What the upstream relay sink needs to know: where to send, with which key, and every limit on batching
/// and in-flight requests, each named with its unit. Defaults and flags: docs/configuration.md.
public struct RelayConfiguration: Sendable {
    /// libhoney-go's ceiling for one batch body (uncompressed JSON); Honeycomb refuses larger ones.
    public static let maxBatchBytesLimit = 5_000_000

    /// Base URL of a Honeycomb-compatible API (`https://api.honeycomb.io`, another Kelpie); batches go to
    /// `{upstreamURL}/1/batch/{dataset}`.
    public var upstreamURL: String
    /// Sent as `X-Honeycomb-Team`; from configuration only, never from a client.
    public var apiKey: String
    /// Most events in one upstream batch.
    public var batchEvents: Int = 1_000
    /// Most bytes of one uncompressed batch body (≤ ``maxBatchBytesLimit``).
    public var batchBytes: Int = maxBatchBytesLimit
    /// Longest a partly filled batch waits for more events while other requests are in flight.
    public var linger: Duration = .milliseconds(100)
    /// Most upstream requests in flight at once (also the most connections kept open).
    public var maxInFlight: Int = 4
    /// Bound on one upstream request, connect to last response byte.
    public var timeout: Duration = .seconds(10)
    /// Bound on establishing a connection (TCP and TLS); never more than ``timeout``.
    public var connectTimeout: Duration = .seconds(5)
    /// A `Retry-After` longer than this is shortened to it, so a confused upstream cannot park us for hours.
    public var maxRetryAfter: Duration = .seconds(300)
    /// Longest upstream answer read; a longer one fails the request.
    public var maxResponseBytes: Int = 16 * 1024 * 1024
    /// zstd level for batch bodies (1 is fastest; JSON compresses well at any level).
    public var compressionLevel: Int32 = 1
    public var userAgent: String = "kelpie"

    public init(upstreamURL: String, apiKey: String) {
        self.upstreamURL = upstreamURL
        self.apiKey = apiKey
    }

    /// The checks that need no network; nil when the configuration is usable, else what is wrong.
    public var problem: String? {
        let lowered = upstreamURL.lowercased()
        if !(lowered.hasPrefix("http://") || lowered.hasPrefix("https://")) {
            return "upstream-url must start with http:// or https://"
        }
        if apiKey.isEmpty { return "the upstream key is empty (--upstream-key-file or KELPIE_UPSTREAM_KEY)" }
        if apiKey.utf8.contains(where: { $0 < 0x21 || $0 == 0x7F }) {
            return "the upstream key must not contain spaces or control characters"
        }
        if batchEvents < 1 { return "upstream-batch-events must be at least 1" }
        if batchBytes < 1024 || batchBytes > Self.maxBatchBytesLimit {
            return "upstream-batch-bytes must be between 1KiB and \(Self.maxBatchBytesLimit) bytes"
        }
        if linger < .zero { return "upstream-linger must not be negative" }
        if maxInFlight < 1 { return "upstream-max-in-flight must be at least 1" }
        if timeout <= .zero { return "upstream-timeout must be positive" }
        return nil
    }

    /// `upstreamURL` without a trailing slash.
    var baseURL: String {
        var base = upstreamURL
        while base.hasSuffix("/") { base.removeLast() }
        return base
    }
}
