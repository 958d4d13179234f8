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

    var describesRequests: Bool { true }

    func requestAnswered(_ record: RequestRecord) {
        let facts = record.observation as? IngestFacts
        // A Kelpie that is its own self-telemetry upstream would describe the requests carrying its own
        // events, and those descriptions in the next request, forever: its own requests are not described.
        if facts?.dataset == reporter.configuration.dataset, record.head?.headers["User-Agent"] == ownUserAgent {
            return
        }
        guard let sampleRate = reporter.sampleRate(status: record.status, refused: facts?.refusal != nil) else { return }
        let event = RequestEvent(
            route: record.route, method: record.method.rawValue, status: record.status,
            protocolName: record.isGRPC ? "grpc" : record.protocolVersion.rawValue, requestBytes: record.wireBytes,
            contentType: record.head?.headers["Content-Type"], userAgent: record.head?.headers["User-Agent"],
            duration: record.duration, read: record.readDuration, handle: record.handleDuration,
            write: record.writeDuration, connectionReused: record.requestOnConnection > 1, lane: record.lane,
            ingest: facts
        )
        reporter.record(event, sampleRate: sampleRate)
    }
}
