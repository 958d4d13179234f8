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
    /// What becomes of the events while the upstream refuses our key or cannot be reached, as the log says
    /// it (self-telemetry drops them where the sink keeps them).
    public var failedEventsNote: String = "events are kept and retried"

    public init(upstreamURL: String, apiKey: String) {
        self.upstreamURL = upstreamURL
        self.apiKey = apiKey
    }

    /// The checks that need no network: nil when the configuration is usable, else the setting at fault
    /// (as its flag is spelled, without dashes) and what is wrong with it.
    public var problem: (setting: String, message: String)? {
        let lowered = upstreamURL.lowercased()
        if !(lowered.hasPrefix("http://") || lowered.hasPrefix("https://")) {
            return ("upstream-url", "is '\(upstreamURL)'; expected a URL starting with http:// or https://")
        }
        if apiKey.isEmpty { return ("upstream-key-file", "gives an empty upstream key; expected a key") }
        if apiKey.utf8.contains(where: { $0 < 0x21 || $0 == 0x7F }) {
            return ("upstream-key-file", "gives a key with spaces or control characters inside; expected one word")
        }
        if batchEvents < 1 { return ("upstream-batch-events", "is \(batchEvents); expected 1 or more") }
        if batchBytes < 1024 || batchBytes > Self.maxBatchBytesLimit {
            return ("upstream-batch-bytes", "is \(batchBytes) bytes; expected 1024 to \(Self.maxBatchBytesLimit)")
        }
        if linger < .zero { return ("upstream-linger", "is \(linger); expected 0 or more") }
        if maxInFlight < 1 { return ("upstream-max-in-flight", "is \(maxInFlight); expected 1 or more") }
        if timeout <= .zero { return ("upstream-timeout", "is \(timeout); expected a positive duration") }
        return nil
    }

    /// `upstreamURL` without a trailing slash.
    var baseURL: String {
        var base = upstreamURL
        while base.hasSuffix("/") { base.removeLast() }
        return base
    }
}
