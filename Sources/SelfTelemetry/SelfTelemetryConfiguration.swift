/// Where and how a Kelpie describes itself: the Honeycomb-compatible API its events go to, the key and
/// dataset, the sample rate, and every bound on the queue and the sender, each named with its unit.
/// Flags and defaults: docs/configuration.md; the events: docs/dogfood.md.
public struct SelfTelemetryConfiguration: Sendable {
    /// Base URL of a Honeycomb-compatible API (another Kelpie, or Honeycomb); events go to
    /// `{url}/1/batch/{dataset}` through the relay's client.
    public var url: String
    /// Sent as `X-Honeycomb-Team`.
    public var apiKey: String
    public var dataset: String = "kelpie"
    /// Keep 1 in N successful requests, sent with `samplerate` N; errors and refusals are always kept (1).
    public var sampleRate: Int = 1
    /// Events waiting or in flight, at most; past it new events are dropped and counted (`queue_full`).
    /// An event is a few hundred bytes (its text fields are cut at ``maxFieldBytes``), so about 1 MiB.
    public var maxQueuedEvents: Int = 4_096
    /// Longest a request event waits before it is sent; a full block (``maxEventsPerBlock``) goes at once.
    public var flushInterval: Duration = .milliseconds(500)
    /// Events per block handed to the sender; while the upstream is busy, blocks join larger requests.
    public var maxEventsPerBlock: Int = 512
    /// One process event this often (and one at start).
    public var processInterval: Duration = .seconds(10)
    /// Bound on one upstream request, connect included; a request that runs over drops its events.
    public var timeout: Duration = .seconds(5)
    /// Upstream requests at once.
    public var maxInFlight: Int = 2
    /// Longest text field kept (user agent, content type, dataset); longer ones are cut.
    public var maxFieldBytes: Int = 256
    /// How long ``SelfTelemetryReporter/stop()`` waits for events in flight.
    public var stopTimeout: Duration = .seconds(2)

    public init(url: String, apiKey: String) {
        self.url = url
        self.apiKey = apiKey
    }

    /// The checks that need no network: nil when usable, else the setting at fault (as its flag is spelled,
    /// without dashes) and what is wrong with it.
    public var problem: (setting: String, message: String)? {
        let lowered = url.lowercased()
        if !(lowered.hasPrefix("http://") || lowered.hasPrefix("https://")) {
            return ("self-telemetry-url", "is '\(url)'; expected a URL starting with http:// or https://")
        }
        if apiKey.isEmpty { return ("self-telemetry-key-file", "gives an empty key; expected a key") }
        if apiKey.utf8.contains(where: { $0 < 0x21 || $0 == 0x7F }) {
            return ("self-telemetry-key-file", "gives a key with spaces or control characters inside; expected one word")
        }
        if dataset.isEmpty { return ("self-telemetry-dataset", "is empty; expected a dataset name") }
        if sampleRate < 1 { return ("self-telemetry-sample-rate", "is \(sampleRate); expected 1 or more") }
        return nil
    }
}
