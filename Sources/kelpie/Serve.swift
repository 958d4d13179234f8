import ArgumentParser
import Dispatch
import DispatchSockets
import KelpieApp
import Pipeline
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// `kelpie serve`: every flag has a `KELPIE_*` environment variable; a flag wins over the variable.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the ingest API (the default subcommand).",
        discussion: """
            Every option can also be set through the environment variable named in its help; a flag wins over \
            the variable. Durations: 500ms, 5s, 2m. Sizes: bytes, or 64KiB, 64MiB, 1GiB. Without --keys any \
            non-empty API key is accepted.
            Exit statuses: 65 a value not in its form, 66 key file or TLS certificate/key unreadable or invalid, 69 cannot listen, \
            73 data directory unusable, 78 settings that contradict each other (docs/configuration.md).
            """
    )

    @Option(parsing: .unconditional, help: "Address to listen on, HOST:PORT or [IPv6]:PORT. Env: KELPIE_LISTEN. Default 0.0.0.0:8080.")
    var listen: String?
    @Option(parsing: .unconditional, help: "A second address serving the same (HTTP/1.1 and HTTP/2), e.g. the OTLP/gRPC port 0.0.0.0:4317. Env: KELPIE_GRPC_LISTEN.")
    var grpcListen: String?
    @Option(parsing: .unconditional, help: "Directory for the WAL/spool segment files. Env: KELPIE_DATA_DIR. Default ./data.")
    var dataDir: String?
    @Option(parsing: .unconditional, help: "When to answer: durable (after fsync), delivered (after the sink confirmed; equals durable with the spool) or memory (after enqueue). Env: KELPIE_ACK. Default durable.")
    var ack: String?
    @Option(parsing: .unconditional, help: "Where events go: spool (WAL files under --data-dir), kafka (docs/kafka.md), null (count and discard) or http (relay to --upstream-url, docs/relay.md). Env: KELPIE_SINK. Default spool.")
    var sink: String?
    @Option(parsing: .unconditional, help: "With --sink kafka: bootstrap servers, host:port[,host:port…]. Env: KELPIE_KAFKA_BROKERS.")
    var kafkaBrokers: String?
    @Option(parsing: .unconditional, help: "With --sink kafka: the topic, or a template with {dataset}. Env: KELPIE_KAFKA_TOPIC. Default kelpie-events.")
    var kafkaTopic: String?
    @Option(parsing: .unconditional, help: "With --sink kafka: record key, dataset, trace (trace.trace_id, else the dataset) or random (no key). Env: KELPIE_KAFKA_KEY. Default dataset.")
    var kafkaKey: String?
    @Option(parsing: .singleValue, help: "With --sink kafka: a librdkafka property NAME=VALUE (repeatable; SASL, TLS, tuning). Env: KELPIE_KAFKA_PROPERTY (one NAME=VALUE per line).")
    var kafkaProperty: [String] = []
    @Option(parsing: .unconditional, help: "With --sink kafka: up to N events of one dataset per record, newline-delimited. Env: KELPIE_KAFKA_BATCH_EVENTS. Default 1.")
    var kafkaBatchEvents: String?
    @Option(parsing: .unconditional, help: "With --ack delivered, answer 503 when the sink has not confirmed within this. Env: KELPIE_SINK_TIMEOUT. Default 10s.")
    var sinkTimeout: String?
    @Option(parsing: .unconditional, help: "Readiness backend: epoll or dispatch. Env: KELPIE_IO_BACKEND. Default epoll.")
    var ioBackend: String?
    @Option(parsing: .unconditional, help: "I/O lanes (serial queues); 0 = one per CPU. Env: KELPIE_LANES. Default 0.")
    var lanes: String?
    @Option(parsing: .unconditional, help: "Open connections before accepting pauses. Env: KELPIE_MAX_CONNECTIONS. Default 10000.")
    var maxConnections: String?
    @Option(parsing: .unconditional, help: "Largest request body on the wire. Env: KELPIE_MAX_BODY_BYTES. Default 10MiB.")
    var maxBodyBytes: String?
    @Option(parsing: .unconditional, help: "Largest body after gzip/zstd decoding. Env: KELPIE_MAX_DECODED_BYTES. Default 20MiB.")
    var maxDecodedBytes: String?
    @Option(parsing: .unconditional, help: "Largest request head (request line + headers). Env: KELPIE_MAX_HEADER_BYTES. Default 32KiB.")
    var maxHeaderBytes: String?
    @Option(parsing: .unconditional, help: "Most header fields per request. Env: KELPIE_MAX_HEADER_COUNT. Default 100.")
    var maxHeaderCount: String?
    @Option(parsing: .unconditional, help: "Longest request line. Env: KELPIE_MAX_REQUEST_LINE_BYTES. Default 8KiB.")
    var maxRequestLineBytes: String?
    @Option(parsing: .unconditional, help: "Time allowed to receive a request head. Env: KELPIE_HEADER_TIMEOUT. Default 10s.")
    var headerTimeout: String?
    @Option(parsing: .unconditional, help: "Time allowed to receive a request body once the head is in. Env: KELPIE_BODY_TIMEOUT. Default 60s.")
    var bodyTimeout: String?
    @Option(parsing: .unconditional, help: "Keep-alive idle time before a connection is closed. Env: KELPIE_IDLE_TIMEOUT. Default 60s.")
    var idleTimeout: String?
    @Option(parsing: .unconditional, help: "Bytes admitted but not yet durable before requests get 503. Env: KELPIE_MAX_QUEUE_BYTES. Default 64MiB.")
    var maxQueueBytes: String?
    @Option(parsing: .unconditional, help: "Request bytes held in memory across all connections (bodies being received, decoded bodies until stored); past it reading stops. Env: KELPIE_MAX_INFLIGHT_BYTES. Default 256MiB.")
    var maxInflightBytes: String?
    @Option(parsing: .unconditional, help: "How long a request body waits for room in --max-inflight-bytes before 503 + Retry-After. Env: KELPIE_INFLIGHT_WAIT. Default 5s.")
    var inflightWait: String?
    @Option(parsing: .unconditional, help: "Rotate a WAL segment at this size. Env: KELPIE_SEGMENT_MAX_BYTES. Default 64MiB.")
    var segmentMaxBytes: String?
    @Option(parsing: .unconditional, help: "Rotate a WAL segment at this age. Env: KELPIE_SEGMENT_MAX_AGE. Default 10m.")
    var segmentMaxAge: String?
    @Option(parsing: .unconditional, help: "Spool: delete the oldest segments beyond this total. Remote sink with --ack durable: undelivered WAL bytes allowed before 503. Env: KELPIE_RETENTION_MAX_BYTES. Default 1GiB.")
    var retentionMaxBytes: String?
    @Option(parsing: .unconditional, help: "After SIGTERM, keep serving (readiness 503) this long. Env: KELPIE_DRAIN_DELAY. Default 5s.")
    var drainDelay: String?
    @Option(parsing: .unconditional, help: "After the drain delay, bound on finishing requests and the final fsync. Env: KELPIE_SHUTDOWN_TIMEOUT. Default 20s.")
    var shutdownTimeout: String?
    @Option(parsing: .unconditional, help: "After the drain delay, how long an idle keep-alive connection may stay open for one last request (answered with Connection: close). Env: KELPIE_DRAIN_IDLE_TIMEOUT. Default 2s.")
    var drainIdleTimeout: String?
    @Option(parsing: .unconditional, help: "API key file (JSON or YAML); reloaded on change and on SIGHUP. Without it any non-empty key is accepted. Env: KELPIE_KEYS.")
    var keys: String?
    @Option(parsing: .unconditional, help: "Per-key rate limit in events per second for keys without their own rate_limit in the key file (every key without --keys); over it: 429 + Retry-After. Env: KELPIE_RATE_LIMIT_EVENTS. Default: none (off).")
    var rateLimitEvents: String?
    @Option(parsing: .unconditional, help: "With --rate-limit-events: the bucket size in events a key may send at once. Env: KELPIE_RATE_LIMIT_BURST. Default: one second's worth.")
    var rateLimitBurst: String?
    @Option(parsing: .unconditional, help: "Largest raw body of /1/events (Honeycomb: 1 MB). Env: KELPIE_MAX_EVENT_BODY_BYTES. Default 1MB.")
    var maxEventBodyBytes: String?
    @Option(parsing: .unconditional, help: "TLS certificate chain (PEM, server certificate first); needs --tls-key. Reloaded on change and on SIGHUP. Env: KELPIE_TLS_CERT. Default: none (plain HTTP).")
    var tlsCert: String?
    @Option(parsing: .unconditional, help: "TLS private key (PEM, unencrypted) of --tls-cert. Env: KELPIE_TLS_KEY.")
    var tlsKey: String?
    @Option(parsing: .unconditional, help: "Time a client has to complete the TLS handshake after connecting. Env: KELPIE_TLS_HANDSHAKE_TIMEOUT. Default 10s.")
    var tlsHandshakeTimeout: String?
    @Option(parsing: .unconditional, help: "--sink http: base URL of the Honeycomb-compatible API to relay to (e.g. https://api.honeycomb.io or another Kelpie). Env: KELPIE_UPSTREAM_URL.")
    var upstreamUrl: String?
    @Option(parsing: .unconditional, help: "--sink http: file holding the upstream API key (or set KELPIE_UPSTREAM_KEY instead). Env: KELPIE_UPSTREAM_KEY_FILE.")
    var upstreamKeyFile: String?
    @Option(parsing: .unconditional, help: "--sink http: most events in one upstream batch. Env: KELPIE_UPSTREAM_BATCH_EVENTS. Default 1000.")
    var upstreamBatchEvents: String?
    @Option(parsing: .unconditional, help: "--sink http: most bytes of one uncompressed upstream batch, at most 5000000. Env: KELPIE_UPSTREAM_BATCH_BYTES. Default 5000000.")
    var upstreamBatchBytes: String?
    @Option(parsing: .unconditional, help: "--sink http: longest a partly filled batch waits while every request slot is busy. Env: KELPIE_UPSTREAM_LINGER. Default 100ms.")
    var upstreamLinger: String?
    @Option(parsing: .unconditional, help: "--sink http: most upstream requests (and connections) at once. Env: KELPIE_UPSTREAM_MAX_IN_FLIGHT. Default 4.")
    var upstreamMaxInFlight: String?
    @Option(parsing: .unconditional, help: "--sink http: bound on one upstream request, connect included. Env: KELPIE_UPSTREAM_TIMEOUT. Default 10s.")
    var upstreamTimeout: String?
    @Option(parsing: .unconditional, help: "Describe every request and the process to this Honeycomb-compatible API (e.g. another Kelpie; docs/dogfood.md). Env: KELPIE_SELF_TELEMETRY_URL. Default: off.")
    var selfTelemetryUrl: String?
    @Option(parsing: .unconditional, help: "With --self-telemetry-url: file holding its API key (or set KELPIE_SELF_TELEMETRY_KEY instead). Env: KELPIE_SELF_TELEMETRY_KEY_FILE.")
    var selfTelemetryKeyFile: String?
    @Option(parsing: .unconditional, help: "With --self-telemetry-url: the dataset its events go to. Env: KELPIE_SELF_TELEMETRY_DATASET. Default kelpie.")
    var selfTelemetryDataset: String?
    @Option(parsing: .unconditional, help: "With --self-telemetry-url: describe 1 in N successful requests (samplerate N); errors and refusals always. Env: KELPIE_SELF_TELEMETRY_SAMPLE_RATE. Default 1.")
    var selfTelemetrySampleRate: String?
    @Option(parsing: .unconditional, help: "Log level: trace, debug, info, notice, warning, error, critical. Env: KELPIE_LOG_LEVEL. Default info.")
    var logLevel: String?

    func run() async throws {
        let config: AppConfiguration
        let level: Logger.Level
        do {
            (config, level) = try configuration()
        } catch {
            error.printToStandardError()
            throw ExitCode(error.kind.rawValue)
        }

        LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: level) }
        let logger = Logger(label: "kelpie")
        signal(SIGPIPE, SIG_IGN)
        let shutdown = ShutdownSignal()

        let app: KelpieApplication
        do {
            app = try KelpieApplication(configuration: config, logger: logger)
            try app.start()
        } catch {
            // Plain words on stderr for the person at the terminal, JSON on stdout for the log pipeline.
            let failure = Self.startupFailure(error, config)
            logger.critical("start failed", metadata: ["error": "\(error)", "exit_status": "\(failure.kind.rawValue)"])
            failure.printToStandardError()
            throw ExitCode(failure.kind.rawValue)
        }
        let reloads = ReloadSignal {
            app.reloadKeys()
            app.reloadTLSCertificate()
        }
        let signal = await shutdown.wait()
        reloads.cancel()
        logger.info("signal received", metadata: ["signal": "\(signal)"])
        await app.shutdown()
    }

    /// Flags, then `KELPIE_*` variables, then defaults; every value checked before anything starts.
    private func configuration() throws(StartupFailure) -> (AppConfiguration, Logger.Level) {
        let settings = SettingReader(environment: Environment.current)
        var config = AppConfiguration()
        let duration = ConfigValueParser.duration
        let bytes = ConfigValueParser.byteCount
        let size = SettingReader.Expected.size
        let time = SettingReader.Expected.duration
        let whole = SettingReader.Expected.wholeNumber
        let positive = SettingReader.Expected.positiveNumber
        func count(_ text: String) -> Int? { Int(text).flatMap { $0 >= 0 ? $0 : nil } }
        func atLeastOne(_ text: String) -> Int? { Int(text).flatMap { $0 >= 1 ? $0 : nil } }

        if let v = try settings.parse(listen, "listen", expected: SettingReader.Expected.listen, ListenAddress.init(parsing:)) { config.listen = v }
        if let v = try settings.parse(grpcListen, "grpc-listen", expected: SettingReader.Expected.listen, ListenAddress.init(parsing:)) { config.grpcListen = v }
        if let dir = settings.text(dataDir, "data-dir") { config.dataDirectory = dir }
        if let v = try settings.parse(ack, "ack", expected: "durable, delivered or memory", { AckModeName(rawValue: $0) }) { config.ackMode = v.mode }
        if let v = try settings.parse(sink, "sink", expected: "spool, kafka, null or http", { SinkKind(rawValue: $0) }) { config.sink = v }
        if let v = try settings.parse(sinkTimeout, "sink-timeout", expected: time, duration) { config.sinkTimeout = v }
        if let v = settings.text(kafkaBrokers, "kafka-brokers") { config.kafkaBrokers = v }
        if let v = settings.text(kafkaTopic, "kafka-topic") { config.kafkaTopic = v }
        if let v = try settings.parse(kafkaKey, "kafka-key", expected: "dataset, trace or random", { ["dataset", "trace", "random"].contains($0) ? $0 : nil }) { config.kafkaKey = v }
        if !kafkaProperty.isEmpty {
            config.kafkaProperties = kafkaProperty
        } else if let lines = settings.text(nil, "kafka-property") {
            config.kafkaProperties = lines.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        }
        if let v = try settings.parse(kafkaBatchEvents, "kafka-batch-events", expected: positive, atLeastOne) { config.kafkaBatchEvents = v }
        if let v = try settings.parse(ioBackend, "io-backend", expected: "epoll or dispatch", { IOBackendName(rawValue: $0) }) { config.ioBackend = v.kind }
        if let v = try settings.parse(lanes, "lanes", expected: "\(whole) (0 = one per CPU)", count) { config.laneCount = v }
        if let v = try settings.parse(maxConnections, "max-connections", expected: positive, atLeastOne) { config.maxConnections = v }
        if let v = try settings.parse(maxBodyBytes, "max-body-bytes", expected: size, bytes) { config.maxBodyBytes = v }
        if let v = try settings.parse(maxDecodedBytes, "max-decoded-bytes", expected: size, bytes) { config.maxDecodedBodyBytes = v }
        if let v = try settings.parse(maxHeaderBytes, "max-header-bytes", expected: size, bytes) { config.maxHeaderBytes = v }
        if let v = try settings.parse(maxHeaderCount, "max-header-count", expected: positive, atLeastOne) { config.maxHeaderCount = v }
        if let v = try settings.parse(maxRequestLineBytes, "max-request-line-bytes", expected: size, bytes) { config.maxRequestLineBytes = v }
        if let v = try settings.parse(headerTimeout, "header-timeout", expected: time, duration) { config.timeouts.headerTimeout = v }
        if let v = try settings.parse(bodyTimeout, "body-timeout", expected: time, duration) { config.timeouts.bodyTimeout = v }
        if let v = try settings.parse(idleTimeout, "idle-timeout", expected: time, duration) { config.timeouts.idleTimeout = v }
        if let v = try settings.parse(maxQueueBytes, "max-queue-bytes", expected: size, bytes) { config.maxQueuedBytes = v }
        if let v = try settings.parse(maxInflightBytes, "max-inflight-bytes", expected: size, bytes) { config.maxInflightBytes = v }
        if let v = try settings.parse(inflightWait, "inflight-wait", expected: time, duration) { config.timeouts.inflightWait = v }
        if let v = try settings.parse(segmentMaxBytes, "segment-max-bytes", expected: size, bytes) { config.segmentMaxBytes = v }
        if let v = try settings.parse(segmentMaxAge, "segment-max-age", expected: time, duration) { config.segmentMaxAge = v }
        if let v = try settings.parse(retentionMaxBytes, "retention-max-bytes", expected: size, bytes) { config.retentionMaxBytes = Int64(v) }
        if let v = try settings.parse(drainDelay, "drain-delay", expected: time, duration) { config.drainDelay = v }
        if let v = try settings.parse(shutdownTimeout, "shutdown-timeout", expected: time, duration) { config.shutdownTimeout = v }
        if let v = try settings.parse(drainIdleTimeout, "drain-idle-timeout", expected: time, duration) { config.timeouts.drainIdleTimeout = v }
        if let path = settings.text(keys, "keys") { config.keysPath = path }
        if let v = try settings.parse(rateLimitEvents, "rate-limit-events", expected: positive, atLeastOne) { config.rateLimitEvents = v }
        if let v = try settings.parse(rateLimitBurst, "rate-limit-burst", expected: positive, atLeastOne) { config.rateLimitBurst = v }
        if let v = try settings.parse(maxEventBodyBytes, "max-event-body-bytes", expected: size, bytes) { config.maxEventBodyBytes = v }
        if let path = settings.text(tlsCert, "tls-cert") { config.tlsCertificatePath = path }
        if let path = settings.text(tlsKey, "tls-key") { config.tlsPrivateKeyPath = path }
        if let v = try settings.parse(tlsHandshakeTimeout, "tls-handshake-timeout", expected: time, duration) { config.tlsHandshakeTimeout = v }
        if let v = settings.text(upstreamUrl, "upstream-url") { config.upstream.url = v }
        if let v = settings.text(upstreamKeyFile, "upstream-key-file") { config.upstream.keyFile = v }
        if let v = settings.environment["KELPIE_UPSTREAM_KEY"] { config.upstream.key = v }
        if let v = try settings.parse(upstreamBatchEvents, "upstream-batch-events", expected: positive, atLeastOne) { config.upstream.batchEvents = v }
        if let v = try settings.parse(upstreamBatchBytes, "upstream-batch-bytes", expected: size, bytes) { config.upstream.batchBytes = v }
        if let v = try settings.parse(upstreamLinger, "upstream-linger", expected: time, duration) { config.upstream.linger = v }
        if let v = try settings.parse(upstreamMaxInFlight, "upstream-max-in-flight", expected: positive, atLeastOne) { config.upstream.maxInFlight = v }
        if let v = try settings.parse(upstreamTimeout, "upstream-timeout", expected: time, duration) { config.upstream.timeout = v }
        if let v = settings.text(selfTelemetryUrl, "self-telemetry-url") { config.selfTelemetry.url = v }
        if let v = settings.text(selfTelemetryKeyFile, "self-telemetry-key-file") { config.selfTelemetry.keyFile = v }
        if let v = settings.environment["KELPIE_SELF_TELEMETRY_KEY"] { config.selfTelemetry.key = v }
        if let v = settings.text(selfTelemetryDataset, "self-telemetry-dataset") { config.selfTelemetry.dataset = v }
        if let v = try settings.parse(selfTelemetrySampleRate, "self-telemetry-sample-rate", expected: positive, atLeastOne) { config.selfTelemetry.sampleRate = v }
        // The deployment context of self-telemetry's events: Kubernetes' downward API (deploy/base/deployment.yaml).
        config.selfTelemetry.pod = settings.environment["KELPIE_POD_NAME"]
        config.selfTelemetry.namespace = settings.environment["KELPIE_POD_NAMESPACE"]
        config.selfTelemetry.node = settings.environment["KELPIE_NODE_NAME"]
        config.selfTelemetry.isKubernetes = settings.environment["KUBERNETES_SERVICE_HOST"] != nil
        let level = try settings.parse(
            logLevel, "log-level", expected: "trace, debug, info, notice, warning, error or critical", { Logger.Level(rawValue: $0) }
        ) ?? .info
        do {
            try config.validate()
        } catch {
            throw StartupFailure(.inconsistentSettings, error.description)
        }
        return (config, level)
    }

    /// Names the setting behind a start-up error and what to do about it.
    private static func startupFailure(_ error: any Error, _ config: AppConfiguration) -> StartupFailure {
        switch error {
        case let error as ConfigurationError where error.setting == "keys":
            return StartupFailure(.unreadableInput, "\(error.description). Fix the file, or leave --keys / KELPIE_KEYS unset to run open.")
        case let error as ConfigurationError where error.setting == "tls-cert" || error.setting == "tls-key":
            return StartupFailure(.unreadableInput, "\(error.description). Give a PEM certificate chain and its unencrypted PEM private key, or neither for plain HTTP.")
        case let error as ConfigurationError:
            return StartupFailure(.inconsistentSettings, error.description)
        case let error as WALIOError:
            return StartupFailure(
                .dataDirectoryUnusable,
                "cannot use the data directory '\(config.dataDirectory)' (--data-dir / KELPIE_DATA_DIR): \(error.description). "
                    + "Give a directory this user may create and write, e.g. --data-dir ./data."
            )
        case let failure as ListenFailure:
            return StartupFailure(
                .listenFailed,
                "cannot listen on \(failure.address) (\(SettingName.both(failure.setting))): \(failure.error.description). "
                    + "Use an address of this host and a port that is free and allowed to this user, e.g. --\(failure.setting) 127.0.0.1:18080."
            )
        default:
            return StartupFailure(.other, "start failed: \(error)")
        }
    }
}

/// Parses `--ack` values.
struct AckModeName {
    let mode: AckMode
    init?(rawValue: String) {
        guard let mode = AckMode(rawValue: rawValue) else { return nil }
        self.mode = mode
    }
}

/// Parses `--io-backend` values.
struct IOBackendName {
    let kind: IOBackendKind
    init?(rawValue: String) {
        guard let kind = IOBackendKind(rawValue: rawValue) else { return nil }
        self.kind = kind
    }
}
