public import DispatchSockets
import Locking
public import HTTP1
public import HTTPServer
public import Pipeline
public import Prometheus

/// Every metric Kelpie exports, defined once at start-up with help text and fixed label names, so a
/// mistake traps at boot (the Prometheus registry's rule) rather than mid-traffic. The catalogue is
/// documented in docs/metrics.md.
public final class KelpieMetrics: HTTPServerObserver, PipelineObserver, TLSObserver, Sendable {
    public let registry: PrometheusCollectorRegistry

    // HTTP
    private let requestCounters = Lock<[RequestKey: Counter]>([:])
    private let durationHistograms = Lock<[String: DurationHistogram]>([:])
    let openConnections: Gauge
    let connectionsAccepted: Counter

    // Ingest
    private let acceptedByFormat = Lock<[String: Counter]>([:])
    private let rejectedByReason = Lock<[String: Counter]>([:])
    private let refusalsByReason = Lock<[String: Counter]>([:])
    private let datasetEvents = Lock<[String: Counter]>([:])
    private let rateLimitedByKey = Lock<[String: (requests: Counter, events: Counter)]>([:])
    let wireBytes: Counter
    let decodedBytes: Counter

    // Pipeline and WAL
    let queuedBytes: Gauge
    let queueCapacityBytes: Gauge
    let saturated: Gauge
    let walBytes: Gauge
    let walSegments: Gauge
    let walAppendedBytes: Counter
    let walAppendedEvents: Counter
    let walFsyncDuration: DurationHistogram
    let walWriteErrors: Counter
    let walSegmentsRotated: Counter
    let walSegmentsDeleted: Counter
    let groupCommitRequests: ValueHistogram

    // Sinks
    private let sinkCounters = Lock<[String: Counter]>([:])
    private let sinkHistograms = Lock<[String: DurationHistogram]>([:])
    let sinkRedelivered: Counter
    let sinkUndeliveredBytes: Gauge
    let sinkReachable: Gauge

    // Keys
    let keyReloads: Counter
    let keyReloadErrors: Counter

    // TLS
    private let tlsHandshakes: [String: Counter]
    private let tlsSessions = Lock<[TLSSessionKey: Counter]>([:])
    let tlsCertificateReloads: Counter
    let tlsCertificateReloadErrors: Counter

    // Process
    let ready: Gauge
    let draining: Gauge
    let residentMemory: Gauge
    let startTime: Gauge

    /// Datasets get their own series only up to this many; later ones share `_other`, so a client cannot
    /// blow up the series count with random dataset names.
    public static let maxDatasetSeries = 200
    /// The same bound for key ids in the rate-limit series (open mode admits any key).
    public static let maxKeySeries = 500

    static let requestDurationBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
    ]
    static let fsyncBuckets: [Duration] = [
        .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1),
        .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
    ]

    public init(version: String, registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        openConnections = registry.makeGauge(descriptor: Self.name("http", "open_connections", "", "Open client connections."))
        connectionsAccepted = registry.makeCounter(descriptor: Self.name("http", "connections_accepted", "total", "Client connections accepted."))
        wireBytes = registry.makeCounter(
            descriptor: Self.name("ingest", "bytes", "total", "Ingest request body bytes, as received (wire) and after content decoding (decoded)."),
            labels: [("stage", "wire")]
        )
        decodedBytes = registry.makeCounter(
            descriptor: Self.name("ingest", "bytes", "total", "Ingest request body bytes, as received (wire) and after content decoding (decoded)."),
            labels: [("stage", "decoded")]
        )
        queuedBytes = registry.makeGauge(descriptor: Self.name("pipeline", "queued_bytes", "", "Bytes admitted but not yet written (durable: not yet fsynced)."))
        queueCapacityBytes = registry.makeGauge(descriptor: Self.name("pipeline", "queue_capacity_bytes", "", "Admission limit in bytes; past it requests get 503."))
        saturated = registry.makeGauge(descriptor: Self.name("pipeline", "saturated", "", "1 while the queue is above its high-water mark (with hysteresis)."))
        walBytes = registry.makeGauge(descriptor: Self.name("wal", "bytes", "", "Bytes in WAL/spool segment files on disk."))
        walSegments = registry.makeGauge(descriptor: Self.name("wal", "segments", "", "WAL/spool segment files on disk."))
        walAppendedBytes = registry.makeCounter(descriptor: Self.name("wal", "appended_bytes", "total", "Bytes appended to the WAL."))
        walAppendedEvents = registry.makeCounter(descriptor: Self.name("wal", "appended_events", "total", "Events appended to the WAL."))
        walFsyncDuration = registry.makeDurationHistogram(
            descriptor: Self.name("wal", "fsync_duration", "seconds", "Duration of one WAL group commit (fdatasync)."),
            buckets: Self.fsyncBuckets
        )
        walWriteErrors = registry.makeCounter(descriptor: Self.name("wal", "write_errors", "total", "WAL write or fsync failures; the affected requests got 503."))
        walSegmentsRotated = registry.makeCounter(descriptor: Self.name("wal", "segments_rotated", "total", "WAL segments closed by size or age."))
        walSegmentsDeleted = registry.makeCounter(descriptor: Self.name("wal", "segments_deleted", "total", "WAL segments deleted by retention."))
        groupCommitRequests = registry.makeValueHistogram(
            descriptor: Self.name("wal", "group_commit_requests", "", "Requests acknowledged by one fdatasync."),
            buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256]
        )
        sinkRedelivered = registry.makeCounter(descriptor: Self.name("sink", "redelivered_events", "total", "Events handed to the sink again that it may already hold (a retry, or a restart behind the forwarder's checkpoint)."))
        sinkUndeliveredBytes = registry.makeGauge(descriptor: Self.name("sink", "undelivered_bytes", "", "Bytes admitted that the sink has not confirmed yet (ack=durable: WAL bytes behind the forwarder)."))
        sinkReachable = registry.makeGauge(descriptor: Self.name("sink", "reachable", "", "1 unless the sink reports it cannot deliver."))
        keyReloads = registry.makeCounter(descriptor: Self.name("keys", "reloads", "total", "Successful reloads of the API key file."))
        keyReloadErrors = registry.makeCounter(descriptor: Self.name("keys", "reload_errors", "total", "Failed reloads of the API key file; the previous keys stayed in force."))
        tlsHandshakes = Dictionary(uniqueKeysWithValues: Self.tlsHandshakeResults.map { result in
            (result, registry.makeCounter(
                descriptor: Self.name("tls", "handshakes", "total", "TLS handshakes, by how they ended: completed, failed (protocol error, plaintext, version, ALPN), timed_out, peer_closed."),
                labels: [("result", result)]
            ))
        })
        tlsCertificateReloads = registry.makeCounter(descriptor: Self.name("tls", "certificate_reloads", "total", "Successful reloads of the TLS certificate and key."))
        tlsCertificateReloadErrors = registry.makeCounter(descriptor: Self.name("tls", "certificate_reload_errors", "total", "Failed reloads of the TLS certificate and key; the previous pair stayed in force."))
        ready = registry.makeGauge(descriptor: Self.name(nil, "ready", "", "1 while /readyz answers 200."))
        draining = registry.makeGauge(descriptor: Self.name(nil, "draining", "", "1 once a graceful shutdown has begun."))
        residentMemory = registry.makeGauge(descriptor: MetricNameDescriptor(
            metricName: "process_resident_memory", unitName: "bytes", helpText: "Resident set size of the process."
        ))
        startTime = registry.makeGauge(descriptor: MetricNameDescriptor(
            metricName: "process_start_time", unitName: "seconds", helpText: "Start time of the process since the Unix epoch."
        ))
        let buildInfo = registry.makeGauge(
            descriptor: Self.name(nil, "build_info", "", "Always 1; the version label says which build runs."),
            labels: [("version", version)]
        )
        buildInfo.set(to: 1)
        // Families that are labelled per value are registered here once with their full label set, so
        // /metrics lists them (at zero where it makes sense) before any traffic.
        _ = sinkErrors(sink: "spool")
        for reason in IngestRefusal.allCases { _ = refusalCounter(reason.rawValue) }
        _ = rateLimitedCounters(keyID: Self.otherKeySeries)
        for reason in Self.http2FailureReasons { _ = http2ConnectionErrors(reason) }
        // Every combination the server can negotiate (TLS 1.2/1.3, ALPN h2, http/1.1 or none, resumed or not).
        for version in ["TLSv1.2", "TLSv1.3"] {
            for alpn in ["h2", "http/1.1", "none"] {
                for resumed in [false, true] { _ = tlsSessionCounter(TLSSessionKey(version: version, alpn: alpn, resumed: resumed)) }
            }
        }
    }

    static func name(_ subsystem: String?, _ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "kelpie", subsystem: subsystem, metricName: metric, unitName: unit, helpText: help)
    }

    // MARK: HTTPServerObserver

    struct RequestKey: Hashable {
        var route: String
        var method: String
        var code: Int
        var protocolVersion: HTTPProtocolVersion
    }

    /// One route × method × status: its request counter and the route's duration histogram. The lanes
    /// cache these, so this lookup (and its lock) runs once per lane and kind of request.
    struct RouteSeries: RequestSeries {
        let counter: Counter
        let duration: DurationHistogram

        func record(duration elapsed: Duration, wireBytes: Int) {
            counter.increment()
            duration.record(elapsed)
        }
    }

    public func requestSeries(route: String, method: HTTPMethod, status: Int, protocolVersion: HTTPProtocolVersion) -> any RequestSeries {
        let key = RequestKey(route: route, method: method.rawValue, code: status, protocolVersion: protocolVersion)
        let counter = requestCounters.withLock { counters in
            if let existing = counters[key] { return existing }
            let made = registry.makeCounter(
                descriptor: Self.name("http", "requests", "total", "HTTP requests answered, by route template, method, status code and protocol (http/1.1, h2)."),
                labels: [("route", route), ("method", key.method), ("code", String(status)), ("protocol", protocolVersion.rawValue)]
            )
            counters[key] = made
            return made
        }
        let histogram = durationHistograms.withLock { histograms in
            if let existing = histograms[route] { return existing }
            let made = registry.makeDurationHistogram(
                descriptor: Self.name("http", "request_duration", "seconds", "Time from a request's first byte to its response being queued, by route template."),
                labels: [("route", route)], buckets: Self.requestDurationBuckets
            )
            histograms[route] = made
            return made
        }
        return RouteSeries(counter: counter, duration: histogram)
    }

    public func connectionOpened() {
        openConnections.increment()
        connectionsAccepted.increment()
    }

    public func connectionClosed() {
        openConnections.decrement()
    }

    // MARK: TLSObserver

    static let tlsHandshakeResults = ["completed", "failed", "timed_out", "peer_closed"]

    struct TLSSessionKey: Hashable {
        var version: String
        var alpn: String
        var resumed: Bool
    }

    public func tlsHandshakeFinished(_ outcome: TLSHandshakeOutcome) {
        let result: String
        switch outcome {
        case .completed(let info):
            result = "completed"
            // Values are bounded by the server: TLS 1.2/1.3 only, ALPN from its own list.
            tlsSessionCounter(TLSSessionKey(
                version: info.protocolVersion, alpn: info.applicationProtocol ?? "none", resumed: info.isResumed
            )).increment()
        case .failed: result = "failed"
        case .timedOut: result = "timed_out"
        case .peerClosed: result = "peer_closed"
        }
        tlsHandshakes[result]?.increment()
    }

    private func tlsSessionCounter(_ key: TLSSessionKey) -> Counter {
        tlsSessions.withLock { counters in
            if let existing = counters[key] { return existing }
            let made = registry.makeCounter(
                descriptor: Self.name("tls", "sessions", "total", "Completed TLS handshakes, by protocol version, negotiated ALPN protocol (none: the client offered none) and whether the session was resumed."),
                labels: [("version", key.version), ("alpn", key.alpn), ("resumed", String(key.resumed))]
            )
            counters[key] = made
            return made
        }
    }

    public func http2ConnectionFailed(reason: String) {
        http2ConnectionErrors(reason).increment()
    }

    /// The reasons ``http2ConnectionFailed(reason:)`` reports (HTTP2Connection.metricReason).
    static let http2FailureReasons = ["rapid_reset", "protocol_error", "bad_preface", "flooded", "internal_error"]

    private func http2ConnectionErrors(_ reason: String) -> Counter {
        registry.makeCounter(
            descriptor: Self.name("http2", "connection_errors", "total", "HTTP/2 connections the server ended with GOAWAY for misbehaving, by reason."),
            labels: [("reason", reason)]
        )
    }

    // MARK: PipelineObserver

    public func walAppended(events: Int, bytes: Int) {
        walAppendedEvents.increment(by: Int64(events))
        walAppendedBytes.increment(by: Int64(bytes))
    }

    public func walSynced(duration: Duration, requests: Int) {
        walFsyncDuration.record(duration)
        groupCommitRequests.record(Double(requests))
    }

    public func walWriteFailed(_ error: PipelineError) {
        walWriteErrors.increment()
        sinkErrors(sink: "spool").increment()
    }

    public func admissionRefused(reason: String) {
        // Counted where the HTTP answer is decided (``recordRefusal``), so one refusal counts once.
    }

    public func segmentRotated() {
        walSegmentsRotated.increment()
    }

    public func segmentsDeleted(count: Int, bytes: Int64) {
        walSegmentsDeleted.increment(by: Int64(count))
    }

    public func sinkDelivered(sink: String, events: Int, bytes: Int, latency: Duration) {
        deliveredEvents(sink).increment(by: Int64(events))
        deliveredBytes(sink).increment(by: Int64(bytes))
        deliveryHistogram(sink).record(latency)
    }

    private func deliveredEvents(_ sink: String) -> Counter {
        sinkCounter("delivered_events", "Events the sink confirmed, by sink.", [("sink", sink)])
    }

    private func deliveredBytes(_ sink: String) -> Counter {
        sinkCounter("delivered_bytes", "Canonical event bytes the sink confirmed, by sink.", [("sink", sink)])
    }

    private func deliveryHistogram(_ sink: String) -> DurationHistogram {
        sinkHistograms.withLock { histograms in
            if let existing = histograms[sink] { return existing }
            let made = registry.makeDurationHistogram(
                descriptor: Self.name("sink", "delivery_duration", "seconds", "Time from handing a block to the sink to its confirmation, by sink."),
                labels: [("sink", sink)], buckets: Self.requestDurationBuckets
            )
            histograms[sink] = made
            return made
        }
    }

    private func timedOutEvents() -> Counter {
        sinkCounter("timed_out_events", "ack=delivered: events answered 503 because the sink had not confirmed them within --sink-timeout.", [])
    }

    public func sinkFailed(sink: String, reason: String) {
        sinkErrors(sink: sink).increment()
    }

    public func sinkRedelivered(events: Int) {
        sinkRedelivered.increment(by: Int64(events))
    }

    public func deadLettered(sink: String, events: Int, reason: String) {
        deadLettered(sink).increment(by: Int64(events))
    }

    /// The reason of each dead-lettered event is in its dead-letter record; the metric stays one series per sink.
    private func deadLettered(_ sink: String) -> Counter {
        sinkCounter("dead_lettered_events", "Events the sink can never deliver, set aside in the dead-letter spool, by sink.", [("sink", sink)])
    }

    public func eventsDropped(events: Int, reason: String) {
        droppedCounter(reason).increment(by: Int64(events))
    }

    public func sinkTimedOut(events: Int) {
        timedOutEvents().increment(by: Int64(events))
    }

    public func stopDeadlineExpired(unwrittenEvents: Int) {
        droppedCounter("shutdown_deadline").increment(by: Int64(unwrittenEvents))
    }

    /// Registers the families of the configured sink at start-up, so /metrics lists them before traffic.
    func registerSink(_ sink: String) {
        _ = deliveredEvents(sink)
        _ = deliveredBytes(sink)
        _ = deliveryHistogram(sink)
        _ = deadLettered(sink)
        _ = sinkErrors(sink: sink)
        _ = timedOutEvents()
        _ = droppedCounter("shutdown_deadline")
    }

    private func droppedCounter(_ reason: String) -> Counter {
        sinkCounter("dropped_events", "Events lost with nowhere to keep them: ack=memory events not delivered by the shutdown deadline, dead-letter spool write failures, damaged WAL lines.", [("reason", reason)], subsystem: "pipeline")
    }

    /// Counters labelled by sink (and reason), made on first use and cached by their full name and labels.
    private func sinkCounter(
        _ metric: String, _ help: String, _ labels: [(String, String)], subsystem: String = "sink"
    ) -> Counter {
        let key = metric + labels.map { "|" + $0.0 + "=" + $0.1 }.joined()
        return sinkCounters.withLock { counters in
            if let existing = counters[key] { return existing }
            let made = registry.makeCounter(descriptor: Self.name(subsystem, metric, "total", help), labels: labels)
            counters[key] = made
            return made
        }
    }

    // MARK: ingest

    func recordAccepted(events: Int, format: String, dataset: String) {
        guard events > 0 else { return }
        labelled(acceptedByFormat, format) {
            registry.makeCounter(
                descriptor: Self.name("ingest", "events_accepted", "total", "Events acknowledged to clients, by input format."),
                labels: [("format", $0)]
            )
        }.increment(by: Int64(events))
        datasetCounter(dataset).increment(by: Int64(events))
    }

    func recordRejectedEvents(reason: String, count: Int = 1) {
        labelled(rejectedByReason, reason) {
            registry.makeCounter(
                descriptor: Self.name("ingest", "events_rejected", "total", "Events refused individually inside an accepted batch (per-event 4xx), by reason."),
                labels: [("reason", $0)]
            )
        }.increment(by: Int64(count))
    }

    func recordRefusal(_ reason: IngestRefusal) {
        refusalCounter(reason.rawValue).increment()
    }

    func recordBytes(wire: Int, decoded: Int) {
        wireBytes.increment(by: Int64(wire))
        decodedBytes.increment(by: Int64(decoded))
    }

    func sinkErrors(sink: String) -> Counter {
        registry.makeCounter(
            descriptor: Self.name("sink", "errors", "total", "Errors writing to a sink, by sink: WAL write/fsync failures (spool) and blocks a remote sink reported failed."),
            labels: [("sink", sink)]
        )
    }

    private func refusalCounter(_ reason: String) -> Counter {
        labelled(refusalsByReason, reason) {
            registry.makeCounter(
                descriptor: Self.name("ingest", "refusals", "total", "Whole ingest requests refused, by reason."),
                labels: [("reason", $0)]
            )
        }
    }

    private func datasetCounter(_ dataset: String) -> Counter {
        datasetEvents.withLock { counters in
            if let existing = counters[dataset] { return existing }
            let label = counters.count < Self.maxDatasetSeries ? dataset : "_other"
            if let shared = counters[label] { return shared }
            let made = registry.makeCounter(
                descriptor: Self.name("ingest", "dataset_events", "total", "Events acknowledged, by dataset (first \(Self.maxDatasetSeries) datasets; later ones as _other)."),
                labels: [("dataset", label)]
            )
            counters[label] = made
            return made
        }
    }

    /// A request refused with 429 because its key is over its rate limit, and the events it carried.
    func recordRateLimited(keyID: String, events: Int) {
        let counters = rateLimitedCounters(keyID: keyID)
        counters.requests.increment()
        counters.events.increment(by: Int64(events))
    }

    static let otherKeySeries = "_other"

    private func rateLimitedCounters(keyID: String) -> (requests: Counter, events: Counter) {
        rateLimitedByKey.withLock { counters in
            if let existing = counters[keyID] { return existing }
            // `_other` is listed from start-up, so it does not take one of the maxKeySeries places.
            let label = counters.count <= Self.maxKeySeries ? keyID : Self.otherKeySeries
            if let shared = counters[label] { return shared }
            let made = (
                requests: registry.makeCounter(
                    descriptor: Self.name(nil, "rate_limited_requests", "total", "Ingest requests refused with 429 because their API key was over its rate limit, by key id (first \(Self.maxKeySeries) key ids; later ones as _other)."),
                    labels: [("key_id", label)]
                ),
                events: registry.makeCounter(
                    descriptor: Self.name(nil, "rate_limited_events", "total", "Events in ingest requests refused with 429 for their API key's rate limit, by key id (first \(Self.maxKeySeries) key ids; later ones as _other)."),
                    labels: [("key_id", label)]
                )
            )
            counters[label] = made
            return made
        }
    }

    private func labelled(_ cache: Lock<[String: Counter]>, _ value: String, make: (String) -> Counter) -> Counter {
        cache.withLock { counters in
            if let existing = counters[value] { return existing }
            let made = make(value)
            counters[value] = made
            return made
        }
    }
}
