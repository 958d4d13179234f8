/// The three OTLP/HTTP signals Kelpie accepts (`/v1/traces`, `/v1/logs`, `/v1/metrics`).
public enum OTLPSignal: String, Sendable, CaseIterable {
    case traces
    case logs
    case metrics

    /// What one accepted or rejected item is for this signal, as the partial-success field names it.
    var itemName: String {
        switch self {
        case .traces: "spans"
        case .logs: "log records"
        case .metrics: "data points"
        }
    }
}
