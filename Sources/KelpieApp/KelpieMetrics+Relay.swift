import Prometheus
public import RelaySink

/// The upstream relay sink's metrics (`--sink http`), documented in docs/metrics.md. The registry hands back
/// the existing series for a name and label set, so nothing is cached here.
extension KelpieMetrics: RelayObserver {
    static let upstreamStatusClasses = ["2xx", "3xx", "4xx", "5xx", "error"]

    public func upstreamRequestFinished(statusClass: String, events: Int, sentBytes: Int, duration: Duration) {
        upstreamRequests(statusClass).increment()
        upstreamSentBytes().increment(by: Int64(sentBytes))
        upstreamDuration().record(duration)
    }

    /// Lists the relay's families at zero before the first request.
    func registerRelay() {
        for statusClass in Self.upstreamStatusClasses { _ = upstreamRequests(statusClass) }
        _ = upstreamSentBytes()
        _ = upstreamDuration()
    }

    private func upstreamRequests(_ statusClass: String) -> Counter {
        registry.makeCounter(
            descriptor: Self.name("upstream", "requests", "total", "Requests to the upstream API (--sink http), by HTTP status class; error when no answer came (refused, timed out)."),
            labels: [("class", statusClass)]
        )
    }

    private func upstreamSentBytes() -> Counter {
        registry.makeCounter(descriptor: Self.name("upstream", "sent_bytes", "total", "Compressed batch body bytes sent upstream."))
    }

    private func upstreamDuration() -> DurationHistogram {
        registry.makeDurationHistogram(
            descriptor: Self.name("upstream", "request_duration", "seconds", "Duration of one upstream batch request, connect to last answer byte."),
            buckets: Self.requestDurationBuckets
        )
    }
}
