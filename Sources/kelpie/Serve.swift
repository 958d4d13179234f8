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
        discussion: "Every option can also be set through the environment variable named in its help. Durations: 500ms, 5s, 2m. Sizes: bytes, or 64KiB, 64MiB, 1GiB."
    )

    @Option(help: "Address to listen on, HOST:PORT or [IPv6]:PORT. Env: KELPIE_LISTEN. Default 0.0.0.0:8080.")
    var listen: String?
    @Option(help: "Directory for the WAL/spool segment files. Env: KELPIE_DATA_DIR. Default ./data.")
    var dataDir: String?
    @Option(help: "When to answer: durable (after fsync), delivered (after the sink confirmed; equals durable with the spool) or memory (after enqueue). Env: KELPIE_ACK. Default durable.")
    var ack: String?
    @Option(help: "Where events go: spool (WAL files under --data-dir), null (count and discard) or http (relay to --upstream-url). Env: KELPIE_SINK. Default spool.")
    var sink: String?
    @Option(help: "With --ack delivered, answer 503 when the sink has not confirmed within this. Env: KELPIE_SINK_TIMEOUT. Default 10s.")
    var sinkTimeout: String?
    @Option(help: "Readiness backend: epoll or dispatch. Env: KELPIE_IO_BACKEND. Default epoll.")
    var ioBackend: String?
    @Option(help: "I/O lanes (serial queues); 0 = one per CPU. Env: KELPIE_LANES. Default 0.")
    var lanes: Int?
    @Option(help: "Open connections before accepting pauses. Env: KELPIE_MAX_CONNECTIONS. Default 10000.")
    var maxConnections: Int?
    @Option(help: "Largest request body on the wire. Env: KELPIE_MAX_BODY_BYTES. Default 10MiB.")
    var maxBodyBytes: String?
    @Option(help: "Largest body after gzip/zstd decoding. Env: KELPIE_MAX_DECODED_BYTES. Default 20MiB.")
    var maxDecodedBytes: String?
    @Option(help: "Largest request head (request line + headers). Env: KELPIE_MAX_HEADER_BYTES. Default 32KiB.")
    var maxHeaderBytes: String?
    @Option(help: "Most header fields per request. Env: KELPIE_MAX_HEADER_COUNT. Default 100.")
    var maxHeaderCount: Int?
    @Option(help: "Longest request line. Env: KELPIE_MAX_REQUEST_LINE_BYTES. Default 8KiB.")
    var maxRequestLineBytes: String?
    @Option(help: "Time allowed to receive a request head. Env: KELPIE_HEADER_TIMEOUT. Default 10s.")
    var headerTimeout: String?
    @Option(help: "Time allowed to receive a request body once the head is in. Env: KELPIE_BODY_TIMEOUT. Default 60s.")
    var bodyTimeout: String?
    @Option(help: "Keep-alive idle time before a connection is closed. Env: KELPIE_IDLE_TIMEOUT. Default 60s.")
    var idleTimeout: String?
    @Option(help: "Bytes admitted but not yet durable before requests get 503. Env: KELPIE_MAX_QUEUE_BYTES. Default 64MiB.")
    var maxQueueBytes: String?
    @Option(help: "Rotate a WAL segment at this size. Env: KELPIE_SEGMENT_MAX_BYTES. Default 64MiB.")
    var segmentMaxBytes: String?
    @Option(help: "Rotate a WAL segment at this age. Env: KELPIE_SEGMENT_MAX_AGE. Default 10m.")
    var segmentMaxAge: String?
    @Option(help: "Spool: delete the oldest segments beyond this total. Remote sink with --ack durable: undelivered WAL bytes allowed before 503. Env: KELPIE_RETENTION_MAX_BYTES. Default 1GiB.")
    var retentionMaxBytes: String?
    @Option(help: "After SIGTERM, keep serving (readiness 503) this long. Env: KELPIE_DRAIN_DELAY. Default 5s.")
    var drainDelay: String?
    @Option(help: "After the drain delay, bound on finishing requests and the final fsync. Env: KELPIE_SHUTDOWN_TIMEOUT. Default 20s.")
    var shutdownTimeout: String?
    @Option(help: "API key file (JSON or YAML); reloaded on change and on SIGHUP. Without it any non-empty key is accepted. Env: KELPIE_KEYS.")
    var keys: String?
    @Option(help: "Largest raw body of /1/events (Honeycomb: 1 MB). Env: KELPIE_MAX_EVENT_BODY_BYTES. Default 1MB.")
    var maxEventBodyBytes: String?
    @Option(help: "--sink http: base URL of the Honeycomb-compatible API to relay to (e.g. https://api.honeycomb.io or another Kelpie). Env: KELPIE_UPSTREAM_URL.")
    var upstreamURL: String?
    @Option(help: "--sink http: file holding the upstream API key (or set KELPIE_UPSTREAM_KEY instead). Env: KELPIE_UPSTREAM_KEY_FILE.")
    var upstreamKeyFile: String?
    @Option(help: "--sink http: most events in one upstream batch. Env: KELPIE_UPSTREAM_BATCH_EVENTS. Default 1000.")
    var upstreamBatchEvents: Int?
    @Option(help: "--sink http: most bytes of one uncompressed upstream batch, at most 5000000. Env: KELPIE_UPSTREAM_BATCH_BYTES. Default 5000000.")
    var upstreamBatchBytes: String?
    @Option(help: "--sink http: longest a partly filled batch waits while other requests are in flight. Env: KELPIE_UPSTREAM_LINGER. Default 100ms.")
    var upstreamLinger: String?
    @Option(help: "--sink http: most upstream requests (and connections) at once. Env: KELPIE_UPSTREAM_MAX_IN_FLIGHT. Default 4.")
    var upstreamMaxInFlight: Int?
    @Option(help: "--sink http: bound on one upstream request, connect included. Env: KELPIE_UPSTREAM_TIMEOUT. Default 10s.")
    var upstreamTimeout: String?
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical. Env: KELPIE_LOG_LEVEL. Default info.")
    var logLevel: String?

    func run() async throws {
        let environment = Environment.current
        var config = AppConfiguration()
        func value(_ flag: String?, _ variable: String) -> String? { flag ?? environment[variable] }
        func parse<T>(_ flag: String?, _ variable: String, _ what: String, _ parser: (String) -> T?) throws -> T? {
            guard let text = value(flag, variable) else { return nil }
            guard let parsed = parser(text) else {
                throw ValidationError("invalid \(what) '\(text)' (from \(flag != nil ? "flag" : variable))")
            }
            return parsed
        }
        let duration = ConfigValueParser.duration
        let bytes = ConfigValueParser.byteCount

        if let listen = try parse(listen, "KELPIE_LISTEN", "listen address", ListenAddress.init(parsing:)) { config.listen = listen }
        if let dir = value(dataDir, "KELPIE_DATA_DIR") { config.dataDirectory = dir }
        if let ack = try parse(ack, "KELPIE_ACK", "ack mode", { AckModeName(rawValue: $0) }) { config.ackMode = ack.mode }
        if let kind = try parse(sink, "KELPIE_SINK", "sink", { SinkKind(rawValue: $0) }) { config.sink = kind }
        if let v = try parse(sinkTimeout, "KELPIE_SINK_TIMEOUT", "duration", duration) { config.sinkTimeout = v }
        if let backend = try parse(ioBackend, "KELPIE_IO_BACKEND", "io backend", { IOBackendName(rawValue: $0) }) { config.ioBackend = backend.kind }
        if let lanes = try parse(lanes.map(String.init), "KELPIE_LANES", "lane count", { Int($0) }) { config.laneCount = lanes }
        if let max = try parse(maxConnections.map(String.init), "KELPIE_MAX_CONNECTIONS", "max connections", { Int($0) }) { config.maxConnections = max }
        if let v = try parse(maxBodyBytes, "KELPIE_MAX_BODY_BYTES", "size", bytes) { config.maxBodyBytes = v }
        if let v = try parse(maxDecodedBytes, "KELPIE_MAX_DECODED_BYTES", "size", bytes) { config.maxDecodedBodyBytes = v }
        if let v = try parse(maxHeaderBytes, "KELPIE_MAX_HEADER_BYTES", "size", bytes) { config.maxHeaderBytes = v }
        if let v = try parse(maxHeaderCount.map(String.init), "KELPIE_MAX_HEADER_COUNT", "count", { Int($0) }) { config.maxHeaderCount = v }
        if let v = try parse(maxRequestLineBytes, "KELPIE_MAX_REQUEST_LINE_BYTES", "size", bytes) { config.maxRequestLineBytes = v }
        if let v = try parse(headerTimeout, "KELPIE_HEADER_TIMEOUT", "duration", duration) { config.timeouts.headerTimeout = v }
        if let v = try parse(bodyTimeout, "KELPIE_BODY_TIMEOUT", "duration", duration) { config.timeouts.bodyTimeout = v }
        if let v = try parse(idleTimeout, "KELPIE_IDLE_TIMEOUT", "duration", duration) { config.timeouts.idleTimeout = v }
        if let v = try parse(maxQueueBytes, "KELPIE_MAX_QUEUE_BYTES", "size", bytes) { config.maxQueuedBytes = v }
        if let v = try parse(segmentMaxBytes, "KELPIE_SEGMENT_MAX_BYTES", "size", bytes) { config.segmentMaxBytes = v }
        if let v = try parse(segmentMaxAge, "KELPIE_SEGMENT_MAX_AGE", "duration", duration) { config.segmentMaxAge = v }
        if let v = try parse(retentionMaxBytes, "KELPIE_RETENTION_MAX_BYTES", "size", bytes) { config.retentionMaxBytes = Int64(v) }
        if let v = try parse(drainDelay, "KELPIE_DRAIN_DELAY", "duration", duration) { config.drainDelay = v }
        if let v = try parse(shutdownTimeout, "KELPIE_SHUTDOWN_TIMEOUT", "duration", duration) { config.shutdownTimeout = v }
        if let path = value(keys, "KELPIE_KEYS") { config.keysPath = path }
        if let v = try parse(maxEventBodyBytes, "KELPIE_MAX_EVENT_BODY_BYTES", "size", bytes) { config.maxEventBodyBytes = v }
        if let url = value(upstreamURL, "KELPIE_UPSTREAM_URL") { config.upstream.url = url }
        if let path = value(upstreamKeyFile, "KELPIE_UPSTREAM_KEY_FILE") { config.upstream.keyFile = path }
        if let key = environment["KELPIE_UPSTREAM_KEY"] { config.upstream.key = key }
        if let v = try parse(upstreamBatchEvents.map(String.init), "KELPIE_UPSTREAM_BATCH_EVENTS", "count", { Int($0) }) { config.upstream.batchEvents = v }
        if let v = try parse(upstreamBatchBytes, "KELPIE_UPSTREAM_BATCH_BYTES", "size", bytes) { config.upstream.batchBytes = v }
        if let v = try parse(upstreamLinger, "KELPIE_UPSTREAM_LINGER", "duration", duration) { config.upstream.linger = v }
        if let v = try parse(upstreamMaxInFlight.map(String.init), "KELPIE_UPSTREAM_MAX_IN_FLIGHT", "count", { Int($0) }) { config.upstream.maxInFlight = v }
        if let v = try parse(upstreamTimeout, "KELPIE_UPSTREAM_TIMEOUT", "duration", duration) { config.upstream.timeout = v }
        let level = try parse(logLevel, "KELPIE_LOG_LEVEL", "log level", { Logger.Level(rawValue: $0) }) ?? .info
        do {
            try config.validate()
        } catch {
            throw ValidationError(error.description)
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
            logger.critical("start failed", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        let reloads = ReloadSignal { app.reloadKeys() }
        let signal = await shutdown.wait()
        reloads.cancel()
        logger.info("signal received", metadata: ["signal": "\(signal)"])
        await app.shutdown()
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
