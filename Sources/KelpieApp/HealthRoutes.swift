import HTTP1
import HTTPServer
import Pipeline

#if canImport(Glibc)
import Glibc
#endif

/// `/healthz` (liveness), `/readyz` (readiness) and `/metrics`.
///
/// Liveness says only that the process's loops turn (I/O lanes and the WAL writer's heartbeat), so a slow
/// or saturated server is never restarted for being busy. Readiness says whether new traffic should come
/// here: listening, not draining, and the queue below its high-water mark.
final class HealthRoutes: Sendable {
    private let state: AppState
    private let pipeline: EventPipeline
    private let metrics: KelpieMetrics
    private let laneHeartbeats: @Sendable () -> [ContinuousClock.Instant]
    private let livenessStallThreshold: Duration
    private let queueCapacityBytes: Int

    init(
        state: AppState, pipeline: EventPipeline, metrics: KelpieMetrics,
        laneHeartbeats: @escaping @Sendable () -> [ContinuousClock.Instant],
        livenessStallThreshold: Duration, queueCapacityBytes: Int
    ) {
        self.state = state
        self.pipeline = pipeline
        self.metrics = metrics
        self.laneHeartbeats = laneHeartbeats
        self.livenessStallThreshold = livenessStallThreshold
        self.queueCapacityBytes = queueCapacityBytes
    }

    var routes: [Route] {
        [
            Route(.get, "/healthz") { [self] _, writer in writer.send(health()) },
            Route(.get, "/readyz") { [self] _, writer in writer.send(readiness()) },
            Route(.get, "/metrics") { [self] _, writer in writer.send(metricsText()) },
        ]
    }

    func health() -> HTTPResponse {
        let now = ContinuousClock.now
        var stalled: [String] = []
        for (lane, beat) in laneHeartbeats().enumerated() where now - beat > livenessStallThreshold {
            stalled.append("io_lane_\(lane)")
        }
        if now - pipeline.heartbeat() > livenessStallThreshold {
            stalled.append("wal_writer")
        }
        if stalled.isEmpty {
            return .json(.ok, Array(#"{"status":"ok"}"#.utf8))
        }
        return .json(.serviceUnavailable, Array(#"{"status":"stalled","loops":["\#(stalled.joined(separator: #"",""#))"]}"#.utf8))
    }

    /// Current readiness and why not; also what `kelpie_ready` reports.
    func readinessReasons() -> [String] {
        var reasons: [String] = []
        if !state.isListening { reasons.append("not_listening") }
        if state.isDraining { reasons.append("draining") }
        if pipeline.isSaturated { reasons.append("queue_saturated") }
        return reasons
    }

    func readiness() -> HTTPResponse {
        let reasons = readinessReasons()
        metrics.ready.set(to: reasons.isEmpty ? 1 : 0)
        if reasons.isEmpty {
            return .json(.ok, Array(#"{"status":"ready"}"#.utf8))
        }
        let list = reasons.joined(separator: #"",""#)
        return .json(.serviceUnavailable, Array(#"{"status":"not ready","reasons":["\#(list)"]}"#.utf8))
    }

    func metricsText() -> HTTPResponse {
        metrics.queuedBytes.set(to: Double(pipeline.queuedBytes))
        metrics.queueCapacityBytes.set(to: Double(queueCapacityBytes))
        metrics.saturated.set(to: pipeline.isSaturated ? 1 : 0)
        metrics.walBytes.set(to: Double(pipeline.walBytes))
        metrics.walSegments.set(to: Double(pipeline.segmentCount))
        metrics.sinkUndeliveredBytes.set(to: Double(pipeline.undeliveredBytes))
        metrics.sinkReachable.set(to: pipeline.sinkIsReachable ? 1 : 0)
        metrics.ready.set(to: readinessReasons().isEmpty ? 1 : 0)
        metrics.draining.set(to: state.isDraining ? 1 : 0)
        metrics.residentMemory.set(to: Double(ProcessStats.residentBytes()))
        var text: [UInt8] = []
        text.reserveCapacity(16 * 1024)
        metrics.registry.emit(into: &text)
        return HTTPResponse(status: .ok, headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")], body: text)
    }
}
