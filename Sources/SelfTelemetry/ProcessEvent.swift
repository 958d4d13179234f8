/// The process event self-telemetry sends every ``SelfTelemetryConfiguration/processInterval``: a
/// ``ProcessSample`` plus what happened since the previous process event.
struct ProcessEvent: Sendable, Equatable {
    var sample: ProcessSample
    /// Seconds since the previous process event (since start for the first).
    var interval: Duration
    var uptime: Duration
    /// CPU use over the interval, in percent of one core.
    var cpuPercent: Double?
    /// Requests answered, of them with status >= 400, and refused (whole ingest requests), in the interval.
    var requests: Int
    var errors: Int
    var refusals: Int
    /// Self-telemetry events dropped in the interval, and waiting or in flight now.
    var telemetryDropped: Int
    var telemetryQueued: Int

    func write(to writer: inout JSONObjectWriter) {
        writer.string("kind", "process")
        writer.int("rss_bytes", sample.residentBytes)
        writer.decimal("cpu_seconds", sample.cpuSeconds)
        writer.decimal("cpu_percent", cpuPercent)
        writer.int("open_connections", sample.openConnections)
        writer.int("queue_bytes", sample.queueBytes)
        writer.int("wal_bytes", Int(sample.walBytes))
        writer.string("sink", sample.sink)
        writer.int("sink_lag_bytes", Int(sample.sinkLagBytes))
        writer.int("requests", requests)
        writer.int("errors", errors)
        writer.int("refusals", refusals)
        writer.int("telemetry_dropped", telemetryDropped)
        writer.int("telemetry_queued", telemetryQueued)
        writer.microseconds("interval_us", interval)
        writer.decimal("uptime_s", Double(uptime.components.seconds) + Double(uptime.components.attoseconds) / 1e18)
    }
}
