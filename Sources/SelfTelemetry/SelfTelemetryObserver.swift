/// What self-telemetry reports for metrics: events the upstream accepted, events dropped and why, and
/// how many wait or are in flight. Calls come from any thread.
public protocol SelfTelemetryObserver: AnyObject, Sendable {
    func selfTelemetrySent(events: Int)
    /// `reason`: `queue_full`, `send_failed` (no answer, or a failed answer: refused connection, timeout,
    /// 401/403, 429, 5xx), `rejected` (a per-event 4xx), `shutdown` (left over at stop).
    func selfTelemetryDropped(events: Int, reason: String)
    func selfTelemetryQueued(events: Int)
}
