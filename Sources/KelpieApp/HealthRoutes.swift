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
    private let readiness: Readiness
    private let pipeline: EventPipeline
    private let metrics: KelpieMetrics
    private let laneHeartbeats: @Sendable () -> [ContinuousClock.Instant]
    private let livenessStallThreshold: Duration
    private let queueCapacityBytes: Int

    init(
        readiness: Readiness, pipeline: EventPipeline, metrics: KelpieMetrics,
        laneHeartbeats: @escaping @Sendable () -> [ContinuousClock.Instant],
        livenessStallThreshold: Duration, queueCapacityBytes: Int
    ) {
        self.readiness = readiness
        self.pipeline = pipeline
        self.metrics = metrics
        self.laneHeartbeats = laneHeartbeats
        self.livenessStallThreshold = livenessStallThreshold
        self.queueCapacityBytes = queueCapacityBytes
    }

    var routes: [Route] {
        [
            Route(.get, "/healthz") { [self] _ in .now(health()) },
            Route(.get, "/readyz") { [self] _ in .now(readinessAnswer()) },
            Route(.get, "/metrics") { [self] _ in .now(metricsText()) },
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

    func readinessAnswer() -> HTTPResponse {
        let reasons = readiness.reasons()
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
        _ = readiness.reasons()  // refreshes kelpie_ready and kelpie_draining
        metrics.residentMemory.set(to: Double(ProcessStats.residentBytes()))
        var text: [UInt8] = []
        text.reserveCapacity(16 * 1024)
        metrics.registry.emit(into: &text)
        return HTTPResponse(status: .ok, headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")], body: text)
    }
}
