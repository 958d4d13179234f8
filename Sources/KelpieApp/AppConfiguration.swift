public import DispatchSockets
import HTTP1
import HTTP2
public import HTTPServer
public import Pipeline

/// Kelpie's whole configuration as one typed value, built by the executable from flags and `KELPIE_*`
/// environment variables and validated before anything starts. Defaults and units: docs/configuration.md.
public struct AppConfiguration: Sendable {
    public var listen: ListenAddress = ListenAddress(host: "0.0.0.0", port: 8080)
    /// A second listener serving the same (the OTel convention: OTLP/gRPC on 4317); nil: only `listen`.
    public var grpcListen: ListenAddress?
    public var dataDirectory: String = "./data"
    public var ackMode: AckMode = .durable
    public var sink: SinkKind = .spool
    /// `--sink kafka`: bootstrap servers, `host:port[,host:port…]`.
    public var kafkaBrokers: String = ""
    /// A topic, or a template with `{dataset}` (docs/kafka.md#topic-names).
    public var kafkaTopic: String = "kelpie-events"
    public var kafkaKey: String = "dataset"
    /// librdkafka properties `NAME=VALUE`, applied after Kelpie's defaults.
    public var kafkaProperties: [String] = []
    /// Up to this many events of one dataset share one record (newline-delimited); 1 = one per record.
    public var kafkaBatchEvents: Int = 1
    /// ack=delivered: how long a request waits for the sink's confirmation before it gets 503.
    public var sinkTimeout: Duration = .seconds(10)
    public var ioBackend: IOBackendKind = .epoll
    /// Serial I/O lanes; 0 means one per online CPU.
    public var laneCount: Int = 0
    public var maxConnections: Int = 10_000
    /// Largest request body accepted on the wire (compressed or not): past it, 413.
    public var maxBodyBytes: Int = 10 * 1024 * 1024
    /// Largest body after Content-Encoding is undone: past it, 413 (gzip/zstd bombs stop here).
    public var maxDecodedBodyBytes: Int = 20 * 1024 * 1024
    /// Largest raw (possibly compressed) body of `/1/events`, Honeycomb's documented 1 MB.
    public var maxEventBodyBytes: Int = 1_000_000
    /// The API key file (JSON or YAML); nil runs open: any non-empty key is accepted.
    public var keysPath: String?
    /// How often the key file is checked for changes (SIGHUP reloads at once).
    public var keyReloadInterval: Duration = .seconds(2)
    /// Per-key rate limit (events per second, and the burst in events; burst nil: one second's worth) for
    /// keys without their own `rate_limit`, and for every key in open mode. nil: no default limit.
    public var rateLimitEvents: Int?
    public var rateLimitBurst: Int?
    /// Most keys whose buckets are held at once (idle ones are forgotten first).
    public var rateLimitMaxTrackedKeys: Int = KeyRateLimiter.defaultMaxTrackedKeys
    public var maxHeaderBytes: Int = 32 * 1024
    public var maxHeaderCount: Int = 100
    public var maxRequestLineBytes: Int = 8 * 1024
    public var timeouts = ConnectionTimeouts()
    public var maxQueuedBytes: Int = 64 * 1024 * 1024
    /// Request bytes held in memory across all connections (bodies being received, decoded bodies until the
    /// pipeline has them): past it reading stops, and after `timeouts.inflightWait` requests get 503. Sized
    /// for a 1 GiB pod (docs/configuration.md#memory-budget).
    public var maxInflightBytes: Int = 256 * 1024 * 1024
    public var segmentMaxBytes: Int = 64 * 1024 * 1024
    public var segmentMaxAge: Duration = .seconds(600)
    public var retentionMaxBytes: Int64 = 1 << 30
    /// After SIGTERM: keep serving (readiness already 503) this long, so load balancers stop sending first.
    public var drainDelay: Duration = .seconds(5)
    /// After the drain delay: bound on finishing in-flight requests and the final fsync.
    public var shutdownTimeout: Duration = .seconds(20)
    /// `/healthz` fails when a loop has not turned for this long.
    public var livenessStallThreshold: Duration = .seconds(10)
    /// TLS: PEM certificate chain and private key (both or neither; neither serves plain HTTP). Reloaded
    /// on change (polled every `tlsReloadInterval`) and on SIGHUP; new connections get the new pair.
    public var tlsCertificatePath: String?
    public var tlsPrivateKeyPath: String?
    /// A connection that has not completed its TLS handshake this long after accept is closed.
    public var tlsHandshakeTimeout: Duration = .seconds(10)
    public var tlsReloadInterval: Duration = .seconds(2)
    public var version: String = KelpieVersion.current
    /// `--sink http`: where and how events are relayed upstream (docs/relay.md).
    public var upstream = UpstreamSettings()
    /// `--self-telemetry-*`: where this Kelpie describes its own requests and process (docs/dogfood.md).
    public var selfTelemetry = SelfTelemetrySettings()

    public init() {}

    /// The TLS settings, when both files are given.
    public var tlsConfiguration: TLSConfiguration? {
        guard let certificate = tlsCertificatePath, let key = tlsPrivateKeyPath else { return nil }
        // h2 first: HTTP/2 (OTLP/gRPC) and HTTP/1.1 share the port, and the server sniffs the preface.
        return TLSConfiguration(
            certificateChainPath: certificate, privateKeyPath: key, handshakeTimeout: tlsHandshakeTimeout,
            applicationProtocols: ["h2", "http/1.1"]
        )
    }

    func serverConfiguration(tls: TLSContext?) -> ServerConfiguration {
        var socket = SocketServerConfiguration()
        socket.tls = tls
        socket.host = listen.host
        socket.port = listen.port
        socket.backend = ioBackend
        socket.laneCount = laneCount > 0 ? laneCount : SocketServerConfiguration.onlineProcessorCount
        socket.maxConnections = maxConnections
        var limits = ParserLimits()
        limits.maxBodyBytes = maxBodyBytes
        limits.maxHeaderBytes = maxHeaderBytes
        limits.maxHeaderCount = maxHeaderCount
        limits.maxRequestLineBytes = maxRequestLineBytes
        var http2 = HTTP2Limits()
        http2.maxBodyBytesPerStream = maxBodyBytes
        http2.idleTimeout = timeouts.idleTimeout
        return ServerConfiguration(
            socket: socket, parserLimits: limits, timeouts: timeouts, http2Limits: http2, maxInflightBytes: maxInflightBytes
        )
    }

    /// The `--grpc-listen` listener: the main one's settings (TLS included) on another address.
    func grpcServerConfiguration(tls: TLSContext?) -> ServerConfiguration? {
        guard let grpcListen else { return nil }
        var configuration = serverConfiguration(tls: tls)
        configuration.socket.host = grpcListen.host
        configuration.socket.port = grpcListen.port
        return configuration
    }

    /// The default per-key limit, when `--rate-limit-events` is set and valid.
    var defaultRateLimit: RateLimit? {
        rateLimitEvents.flatMap { RateLimit(eventsPerSecond: $0, burst: rateLimitBurst) }
    }

    var pipelineConfiguration: PipelineConfiguration {
        var pipeline = PipelineConfiguration(dataDirectory: dataDirectory)
        pipeline.ackMode = ackMode
        pipeline.maxQueuedBytes = maxQueuedBytes
        pipeline.segmentMaxBytes = segmentMaxBytes
        pipeline.segmentMaxAge = segmentMaxAge
        pipeline.retentionMaxBytes = retentionMaxBytes
        pipeline.sinkTimeout = sinkTimeout
        return pipeline
    }

    /// Checks ranges and the relations between settings that each parse fine alone. Every message names the
    /// flag and its variable, the value and what is expected (docs/configuration.md).
    public func validate() throws(ConfigurationError) {
        func require(_ condition: Bool, _ name: String, _ message: String) throws(ConfigurationError) {
            if !condition { throw ConfigurationError("\(SettingName.both(name)) \(message)", setting: name) }
        }
        try require(maxBodyBytes > 0, "max-body-bytes", "is 0; expected a positive size")
        try require(maxDecodedBodyBytes > 0, "max-decoded-bytes", "is 0; expected a positive size")
        try require(maxEventBodyBytes > 0, "max-event-body-bytes", "is 0; expected a positive size")
        try require(maxConnections > 0, "max-connections", "is \(maxConnections); expected a whole number, 1 or more")
        try require(laneCount >= 0, "lanes", "is \(laneCount); expected a whole number, 0 or more (0 = one per CPU)")
        try require(maxHeaderCount > 0, "max-header-count", "is \(maxHeaderCount); expected a whole number, 1 or more")
        try require(maxHeaderBytes > 0, "max-header-bytes", "is 0; expected a positive size")
        try require(maxRequestLineBytes > 0, "max-request-line-bytes", "is 0; expected a positive size")
        try require(maxQueuedBytes >= maxDecodedBodyBytes, "max-queue-bytes",
                    "is \(maxQueuedBytes) bytes; expected at least \(SettingName.both("max-decoded-bytes")) (\(maxDecodedBodyBytes) bytes), or one large request could never be admitted")
        try require(maxInflightBytes >= max(maxBodyBytes, maxDecodedBodyBytes), "max-inflight-bytes",
                    "is \(maxInflightBytes) bytes; expected at least \(SettingName.both("max-body-bytes")) and \(SettingName.both("max-decoded-bytes")) (\(max(maxBodyBytes, maxDecodedBodyBytes)) bytes), or one large request could never be admitted")
        try require(timeouts.inflightWait > .zero, "inflight-wait", "is \(timeouts.inflightWait); expected a positive duration")
        try require(segmentMaxBytes >= 4096, "segment-max-bytes", "is \(segmentMaxBytes) bytes; expected at least 4096")
        try require(retentionMaxBytes >= Int64(segmentMaxBytes), "retention-max-bytes",
                    "is \(retentionMaxBytes) bytes; expected at least \(SettingName.both("segment-max-bytes")) (\(segmentMaxBytes) bytes)")
        try require(!dataDirectory.isEmpty, "data-dir", "is empty; expected a directory path")
        if sink == .kafka {
            try require(!kafkaBrokers.isEmpty, "kafka-brokers", "is empty; expected host:port[,host:port…] with --sink kafka")
        }
        try require(kafkaBatchEvents >= 1, "kafka-batch-events", "is \(kafkaBatchEvents); expected a whole number, 1 or more")
        try require(sinkTimeout > .zero, "sink-timeout", "is \(sinkTimeout); expected a positive duration")
        try require((tlsCertificatePath == nil) == (tlsPrivateKeyPath == nil), tlsCertificatePath == nil ? "tls-key" : "tls-cert",
                    "is given alone; expected \(SettingName.both("tls-cert")) and \(SettingName.both("tls-key")) together (TLS) or neither (plain HTTP)")
        if let events = rateLimitEvents {
            try require((1...RateLimit.maxEvents).contains(events), "rate-limit-events",
                        "is \(events); expected events per second, 1 to \(RateLimit.maxEvents)")
        }
        if let burst = rateLimitBurst {
            try require(rateLimitEvents != nil, "rate-limit-burst",
                        "is given without \(SettingName.both("rate-limit-events")); expected both, or the events rate alone")
            try require((1...RateLimit.maxEvents).contains(burst), "rate-limit-burst",
                        "is \(burst); expected events, 1 to \(RateLimit.maxEvents)")
        }
        try require(tlsHandshakeTimeout > .zero, "tls-handshake-timeout", "is \(tlsHandshakeTimeout); expected a positive duration")
        if sink == .http {
            try require(upstream.url != nil, "upstream-url", "is not set; expected the upstream API's base URL with --sink http")
            try require(upstream.keyFile == nil || upstream.key == nil, "upstream-key-file",
                        "and KELPIE_UPSTREAM_KEY are both set; expected one of them")
            try require(upstream.keyFile != nil || upstream.key != nil, "upstream-key-file",
                        "is not set, nor KELPIE_UPSTREAM_KEY; expected one of them with --sink http")
            // The key itself is read at start; check everything else now with a stand-in.
            if let problem = upstream.relayConfiguration(key: "stand-in").problem {
                throw ConfigurationError("\(SettingName.both(problem.setting)) \(problem.message)", setting: problem.setting)
            }
        }
        if selfTelemetry.url != nil {
            try require(selfTelemetry.keyFile == nil || selfTelemetry.key == nil, "self-telemetry-key-file",
                        "and KELPIE_SELF_TELEMETRY_KEY are both set; expected one of them")
            try require(selfTelemetry.keyFile != nil || selfTelemetry.key != nil, "self-telemetry-key-file",
                        "is not set, nor KELPIE_SELF_TELEMETRY_KEY; expected one of them with --self-telemetry-url")
            if let problem = selfTelemetry.reporterConfiguration(key: "stand-in").problem {
                throw ConfigurationError("\(SettingName.both(problem.setting)) \(problem.message)", setting: problem.setting)
            }
        }
    }
}

public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    /// The setting at fault (`max-queue-bytes`, `keys`), so the executable can pick its exit status.
    public let setting: String?
    public init(_ description: String, setting: String? = nil) {
        self.description = description
        self.setting = setting
    }
}
