import Prometheus
public import SelfTelemetry

/// Self-telemetry's metrics (`--self-telemetry-url`), documented in docs/metrics.md. Listed at zero whether
/// or not it is on, so /metrics has one catalogue.
extension KelpieMetrics: SelfTelemetryObserver {
    static let selfTelemetryDropReasons = ["queue_full", "send_failed", "rejected", "shutdown"]

    public func selfTelemetrySent(events: Int) {
        selfTelemetrySentEvents().increment(by: Int64(events))
    }

    public func selfTelemetryDropped(events: Int, reason: String) {
        selfTelemetryDroppedEvents(reason).increment(by: Int64(events))
    }

    public func selfTelemetryQueued(events: Int) {
        selfTelemetryQueuedEvents().set(to: Double(events))
    }

    func registerSelfTelemetry() {
        _ = selfTelemetrySentEvents()
        for reason in Self.selfTelemetryDropReasons { _ = selfTelemetryDroppedEvents(reason) }
        _ = selfTelemetryQueuedEvents()
    }

    private func selfTelemetrySentEvents() -> Counter {
        registry.makeCounter(descriptor: Self.name("self_telemetry", "sent_events", "total", "Self-telemetry events the upstream accepted."))
    }

    private func selfTelemetryDroppedEvents(_ reason: String) -> Counter {
        registry.makeCounter(
            descriptor: Self.name("self_telemetry", "dropped_events", "total", "Self-telemetry events dropped, by reason: queue_full, send_failed, rejected, shutdown."),
            labels: [("reason", reason)]
        )
    }

    private func selfTelemetryQueuedEvents() -> Gauge {
        registry.makeGauge(descriptor: Self.name("self_telemetry", "queued_events", "", "Self-telemetry events waiting or in flight."))
    }
}
