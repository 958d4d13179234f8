import HTTP1
import HTTPServer
import SelfTelemetry

/// The HTTP server's observer when self-telemetry is on: metrics as always (``KelpieMetrics``), and one
/// ``RequestEvent`` per answered request for the ``SelfTelemetryReporter``. Runs on the lanes: it samples
/// first and builds an event only for requests that are kept.
final class RequestDescriber: HTTPServerObserver {
    private let metrics: KelpieMetrics
    private let reporter: SelfTelemetryReporter
    /// The User-Agent of this process's own self-telemetry requests.
    private let ownUserAgent: String

    init(metrics: KelpieMetrics, reporter: SelfTelemetryReporter, ownUserAgent: String) {
        self.metrics = metrics
        self.reporter = reporter
        self.ownUserAgent = ownUserAgent
    }

    func requestSeries(route: String, method: HTTPMethod, status: Int, protocolVersion: HTTPProtocolVersion) -> any RequestSeries {
        metrics.requestSeries(route: route, method: method, status: status, protocolVersion: protocolVersion)
    }

    func connectionOpened() { metrics.connectionOpened() }
    func connectionClosed() { metrics.connectionClosed() }
    func http2ConnectionFailed(reason: String) { metrics.http2ConnectionFailed(reason: reason) }
    func memoryBudgetWaited() { metrics.memoryBudgetWaited() }
    func memoryBudgetRefused() { metrics.memoryBudgetRefused() }

    var describesRequests: Bool { true }

    func requestAnswered(_ record: RequestRecord) {
        // Only gRPC answers a refusal with a status below 400 (200 and a grpc-status): other requests are
        // sampled before their facts are looked at, so a sampled-out success costs next to nothing.
        var facts = record.isGRPC || record.status >= 400 ? record.observation as? IngestFacts : nil
        guard let sampleRate = reporter.sampleRate(status: record.status, refused: facts?.refusal != nil) else { return }
        if facts == nil { facts = record.observation as? IngestFacts }
        let userAgent = record.head?.headers["User-Agent"]
        // A Kelpie that is its own self-telemetry upstream would describe the requests carrying its own
        // events, and those descriptions in the next request, forever: its own requests are not described.
        if userAgent == ownUserAgent, facts?.dataset == reporter.configuration.dataset { return }
        let event = RequestEvent(
            route: record.route, method: record.method.rawValue, status: record.status,
            protocolName: record.isGRPC ? "grpc" : record.protocolVersion.rawValue, requestBytes: record.wireBytes,
            contentType: record.head?.headers["Content-Type"], userAgent: userAgent,
            duration: record.duration, read: record.readDuration, handle: record.handleDuration,
            write: record.writeDuration, connectionReused: record.requestOnConnection > 1, lane: record.lane,
            ingest: facts
        )
        reporter.record(event, sampleRate: sampleRate)
    }
}
