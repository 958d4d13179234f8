import RelaySink

/// The `--upstream-*` settings of `--sink http`, as given; ``relayConfiguration(key:)`` turns them into the
/// relay sink's configuration once the key is known. Defaults: docs/configuration.md.
public struct UpstreamSettings: Sendable {
    /// Base URL of the Honeycomb-compatible API events are relayed to.
    public var url: String?
    /// File holding the upstream API key (surrounding whitespace ignored).
    public var keyFile: String?
    /// The upstream API key itself (from `KELPIE_UPSTREAM_KEY`; never a flag, so it stays out of `ps`).
    public var key: String?
    public var batchEvents: Int = 1_000
    public var batchBytes: Int = RelayConfiguration.maxBatchBytesLimit
    public var linger: Duration = .milliseconds(100)
    public var maxInFlight: Int = 4
    public var timeout: Duration = .seconds(10)

    public init() {}

    func relayConfiguration(key: String) -> RelayConfiguration {
        var relay = RelayConfiguration(upstreamURL: url ?? "", apiKey: key)
        relay.batchEvents = batchEvents
        relay.batchBytes = batchBytes
        relay.linger = linger
        relay.maxInFlight = maxInFlight
        relay.timeout = timeout
        relay.connectTimeout = min(relay.connectTimeout, timeout)
        return relay
    }
}
