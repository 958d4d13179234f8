import SelfTelemetry

/// The `--self-telemetry-*` settings as given, and the deployment context the executable read from the
/// environment (Kubernetes' downward API). ``reporterConfiguration(key:)`` makes the reporter's
/// configuration once the key is known. Defaults: docs/configuration.md; the events: docs/dogfood.md.
public struct SelfTelemetrySettings: Sendable {
    /// Base URL of the Honeycomb-compatible API this Kelpie describes itself to; nil: self-telemetry off.
    public var url: String?
    /// File holding the API key for it (surrounding whitespace ignored).
    public var keyFile: String?
    /// The key itself (from `KELPIE_SELF_TELEMETRY_KEY`; never a flag, so it stays out of `ps`).
    public var key: String?
    public var dataset: String = "kelpie"
    public var sampleRate: Int = 1
    /// `KELPIE_POD_NAME`, `KELPIE_POD_NAMESPACE`, `KELPIE_NODE_NAME` (downward API), when set.
    public var pod: String?
    public var namespace: String?
    public var node: String?
    /// `KUBERNETES_SERVICE_HOST` is set: the process runs in a Kubernetes pod.
    public var isKubernetes = false

    public init() {}

    func reporterConfiguration(key: String) -> SelfTelemetryConfiguration {
        var configuration = SelfTelemetryConfiguration(url: url ?? "", apiKey: key)
        configuration.dataset = dataset
        configuration.sampleRate = sampleRate
        return configuration
    }
}
