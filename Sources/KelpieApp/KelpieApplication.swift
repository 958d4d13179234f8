import Locking
public import DispatchSockets
import HTTPServer
import Ingest
import KafkaSink
public import Logging
import Pipeline
import RelaySink
import Prometheus
import SelfTelemetry

/// The composition root: builds the pipeline, the routes and the HTTP server from one
/// ``AppConfiguration``, starts them, and runs the graceful shutdown sequence. A library so tests run the
/// real wiring in-process; the `kelpie` executable only parses flags, bootstraps logging and handles signals.
public final class KelpieApplication: Sendable {
    public let configuration: AppConfiguration
    public let metrics: KelpieMetrics
    private let logger: Logger
    private let readiness: Readiness
    private let pipeline: EventPipeline
    /// Internal, not private: the documentation tests list its routes.
    let server: Server
    /// The `--grpc-listen` listener: the same router on a second address.
    private let grpcServer: Server?
    private let keys: APIKeyStore
    private let tlsReloader: TLSCertificateReloader?
    /// nil when the spool is the sink.
    private let sink: (any Sink)?
    /// `--self-telemetry-url`; nil when off.
    private let selfTelemetry: SelfTelemetryReporter?

    /// `rateLimitClock`: nanoseconds of a monotonic clock for the per-key token buckets (tests pass a manual one).
    public init(
        configuration: AppConfiguration, logger: Logger, metrics: KelpieMetrics? = nil,
        rateLimitClock: (@Sendable () -> Int64)? = nil
    ) throws {
        try configuration.validate()
        // First, so a bad certificate stops start-up before anything is opened.
        var tlsContext: TLSContext?
        if let tls = configuration.tlsConfiguration {
            do {
                tlsContext = try TLSContext(configuration: tls)
            } catch {
                throw Self.configurationError(error)
            }
        }
        self.configuration = configuration
        self.logger = logger
        let metrics = metrics ?? KelpieMetrics(version: configuration.version)
        self.metrics = metrics
        metrics.startTime.set(to: ProcessStats.unixTimeSeconds())
        metrics.queueCapacityBytes.set(to: Double(configuration.maxQueuedBytes))

        metrics.registerRelay() // listed (at zero) whatever the sink, so /metrics has one catalogue
        metrics.registerSelfTelemetry()
        let relay = configuration.sink == .http ? try Self.makeRelay(configuration, metrics: metrics, logger: logger) : nil
        let sink: (any Sink)? = switch configuration.sink {
        case .spool: nil
        case .null: NullSink()
        case .http: relay
        case .kafka: try Self.makeKafkaSink(configuration, metrics: metrics, logger: logger)
        }
        self.sink = sink
        metrics.registerSink(sink?.name ?? "spool")
        let pipeline: EventPipeline
        do {
            pipeline = try EventPipeline(
                configuration: configuration.pipelineConfiguration, observer: metrics, sink: sink
            )
        } catch {
            relay?.close() // its thread would otherwise outlive the failed start
            throw error
        }
        self.pipeline = pipeline
        // One budget for every listener: request bytes held in memory (--max-inflight-bytes).
        let memoryBudget = MemoryBudget(limitBytes: configuration.maxInflightBytes)
        metrics.registerMemoryBudget(limitBytes: configuration.maxInflightBytes)
        let readiness = Readiness(
            pipeline: pipeline, metrics: metrics,
            sinkRefusal: { relay?.health == .unauthorized ? "upstream_unauthorized" : nil },
            memoryBudget: memoryBudget
        )
        self.readiness = readiness

        let keys: APIKeyStore
        do {
            keys = try APIKeyStore(path: configuration.keysPath, logger: logger, metrics: metrics)
        } catch {
            throw ConfigurationError("\(SettingName.both("keys")): \(error.description)", setting: "keys")
        }
        self.keys = keys
        if keys.isOpen {
            logger.warning("no key file given (--keys): accepting any non-empty API key")
        } else {
            logger.info("key file loaded", metadata: ["path": "\(configuration.keysPath ?? "")", "keys": "\(keys.keyCount)"])
        }

        // The lanes' heartbeats and open connections come from the server, which needs the router first: late-bound.
        let serverBox = Lock<Server?>(nil)
        // Self-telemetry: made after every other start-up check that can fail, so a failed start leaves no
        // sender thread behind.
        let telemetry = try Self.makeSelfTelemetry(
            configuration, metrics: metrics, logger: logger, pipeline: pipeline, sinkName: sink?.name ?? "spool",
            openConnections: { serverBox.withLock { $0 }?.openConnectionCount ?? 0 }
        )
        selfTelemetry = telemetry?.reporter
        let describer = telemetry.map { RequestDescriber(metrics: metrics, reporter: $0.reporter, ownUserAgent: $0.userAgent) }
        var limits = IngestLimits()
        limits.maxDecodedBodyBytes = configuration.maxDecodedBodyBytes
        let ingest = IngestRoutes(
            admission: IngestAdmission(
                pipeline: pipeline, metrics: metrics, keys: keys, maxDecodedBodyBytes: configuration.maxDecodedBodyBytes,
                rateLimiter: KeyRateLimiter(
                    maxTrackedKeys: configuration.rateLimitMaxTrackedKeys,
                    clock: rateLimitClock ?? KeyRateLimiter.monotonicNanoseconds
                ),
                defaultRateLimit: configuration.defaultRateLimit,
                describesRequests: describer != nil, memoryBudget: memoryBudget
            ),
            decoder: HoneycombDecoder(limits: limits), otlpDecoder: OTLPDecoder(),
            maxEventBodyBytes: configuration.maxEventBodyBytes
        )
        let auth = AuthRoutes(keys: keys, metrics: metrics)
        let health = HealthRoutes(
            readiness: readiness, pipeline: pipeline, metrics: metrics,
            laneHeartbeats: { serverBox.withLock { $0 }?.laneHeartbeats() ?? [] },
            livenessStallThreshold: configuration.livenessStallThreshold,
            queueCapacityBytes: configuration.maxQueuedBytes
        )
        let router = Router(
            CORS.wrap(ingest.honeycombRoutes + auth.routes + ingest.otlpRoutes) + health.routes
                + ingest.grpcRoutes(maxMessageBytes: configuration.maxBodyBytes)
        )
        let observer: any HTTPServerObserver = describer ?? metrics
        let server = Server(
            configuration: configuration.serverConfiguration(tls: tlsContext), router: router, observer: observer,
            tlsObserver: metrics, memoryBudget: memoryBudget, logger: logger
        )
        serverBox.withLock { $0 = server }
        self.server = server
        let grpcServer = configuration.grpcServerConfiguration(tls: tlsContext).map {
            Server(configuration: $0, router: router, observer: observer, memoryBudget: memoryBudget, logger: logger)
        }
        self.grpcServer = grpcServer
        tlsReloader = configuration.tlsConfiguration.map { tls in
            TLSCertificateReloader(configuration: tls, logger: logger, metrics: metrics) { [grpcServer] context in
                server.replaceTLSContext(context)
                grpcServer?.replaceTLSContext(context)
            }
        }
    }

    /// The relay sink of `--sink http`, with the key read from `--upstream-key-file` or `KELPIE_UPSTREAM_KEY`.
    private static func makeRelay(
        _ configuration: AppConfiguration, metrics: KelpieMetrics, logger: Logger
    ) throws(ConfigurationError) -> RelaySink {
        let key: String
        if let path = configuration.upstream.keyFile {
            guard let bytes = APIKeyStore.readFile(path) else {
                throw ConfigurationError("cannot read the upstream key file \(path)")
            }
            key = String(decoding: bytes, as: UTF8.self).trimmingWhitespace()
        } else {
            key = configuration.upstream.key?.trimmingWhitespace() ?? ""
        }
        var relayConfiguration = configuration.upstream.relayConfiguration(key: key)
        relayConfiguration.userAgent = "kelpie/\(configuration.version)"
        do {
            return try RelaySink(configuration: relayConfiguration, observer: metrics, logger: logger)
        } catch {
            throw ConfigurationError(error.description)
        }
    }

    /// The self-telemetry reporter and its sender (the relay's client), with the key read from
    /// `--self-telemetry-key-file` or `KELPIE_SELF_TELEMETRY_KEY`; nil without `--self-telemetry-url`.
    private static func makeSelfTelemetry(
        _ configuration: AppConfiguration, metrics: KelpieMetrics, logger: Logger, pipeline: EventPipeline,
        sinkName: String, openConnections: @escaping @Sendable () -> Int
    ) throws(ConfigurationError) -> (reporter: SelfTelemetryReporter, userAgent: String)? {
        let settings = configuration.selfTelemetry
        guard settings.url != nil else { return nil }
        let key: String
        if let path = settings.keyFile {
            guard let bytes = APIKeyStore.readFile(path) else {
                throw ConfigurationError("cannot read the self-telemetry key file \(path) (\(SettingName.both("self-telemetry-key-file")))")
            }
            key = String(decoding: bytes, as: UTF8.self).trimmingWhitespace()
        } else {
            key = settings.key?.trimmingWhitespace() ?? ""
        }
        let reporterConfiguration = settings.reporterConfiguration(key: key)
        if let problem = reporterConfiguration.problem {
            throw ConfigurationError("\(SettingName.both(problem.setting)) \(problem.message)", setting: problem.setting)
        }
        let instance = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        // Names this process: a Kelpie skips describing its own self-telemetry requests by it (RequestDescriber).
        let userAgent = "kelpie-self-telemetry/\(configuration.version) (instance \(instance))"
        let context = DeploymentContext(
            version: configuration.version, instance: instance, host: ProcessStats.hostName(), pod: settings.pod,
            namespace: settings.namespace, node: settings.node, isKubernetes: settings.isKubernetes
        )
        var senderLogger = logger
        senderLogger[metadataKey: "component"] = "self-telemetry"
        let sender: RelaySink
        do {
            sender = try SelfTelemetryReporter.makeSender(configuration: reporterConfiguration, userAgent: userAgent, logger: senderLogger)
        } catch {
            throw ConfigurationError(error.description, setting: "self-telemetry-url")
        }
        let reporter = SelfTelemetryReporter(
            configuration: reporterConfiguration, context: context, sink: sender, observer: metrics
        ) {
            ProcessSample(
                residentBytes: ProcessStats.residentBytes(), cpuSeconds: ProcessStats.cpuSeconds(),
                openConnections: openConnections(), queueBytes: pipeline.queuedBytes, walBytes: pipeline.walBytes,
                sink: sinkName, sinkLagBytes: pipeline.undeliveredBytes
            )
        }
        return (reporter, userAgent)
    }

    /// Every listener's server: the main one, then the `--grpc-listen` one.
    private var servers: [Server] { [server] + (grpcServer.map { [$0] } ?? []) }

    /// Starts the pipeline and the listener; returns the bound address. Ready from here on.
    @discardableResult
    public func start() throws -> SocketAddress {
        pipeline.start()
        keys.watch(every: configuration.keyReloadInterval)
        tlsReloader?.watch(every: configuration.tlsReloadInterval)
        let address: SocketAddress
        do {
            address = try server.start()
            if let grpcServer {
                do {
                    _ = try grpcServer.start()
                } catch let error as SocketError {
                    throw ListenFailure(setting: "grpc-listen", address: configuration.grpcListen!, error: error)
                }
            }
        } catch let error as SocketError {
            throw ListenFailure(setting: "listen", address: configuration.listen, error: error)
        }
        readiness.setListening(true)
        selfTelemetry?.start()
        logger.info("ready", metadata: [
            "ack": "\(configuration.ackMode.rawValue)", "sink": "\(configuration.sink.rawValue)",
            "data_dir": "\(configuration.dataDirectory)",
        ])
        return address
    }

    /// Readiness turns 503 at once; nothing else changes yet. First step of ``shutdown()``.
    public func beginDraining() {
        readiness.beginDraining()
    }

    /// Re-reads the key file now (the executable calls this on SIGHUP). False when it failed to load and
    /// the previous keys stay in force.
    @discardableResult
    public func reloadKeys() -> Bool {
        keys.path == nil ? true : keys.reload()
    }

    /// Re-reads the TLS certificate and key now (the executable calls this on SIGHUP). False when they
    /// failed to load and the previous pair stays in force; true without TLS.
    @discardableResult
    public func reloadTLSCertificate() -> Bool {
        tlsReloader?.reload() ?? true
    }

    /// A start-up error that names the setting to fix.
    static func configurationError(_ error: TLSError) -> ConfigurationError {
        switch error {
        case .certificate(let path, let reason):
            ConfigurationError("\(SettingName.both("tls-cert")): cannot load the certificate chain from '\(path)': \(reason)", setting: "tls-cert")
        case .privateKey(let path, let reason):
            ConfigurationError("\(SettingName.both("tls-key")): cannot load the private key from '\(path)': \(reason)", setting: "tls-key")
        case .keyMismatch(let certificate, let key):
            ConfigurationError(
                "\(SettingName.both("tls-key")): the private key '\(key)' does not match the certificate '\(certificate)' (--tls-cert)",
                setting: "tls-key")
        case .setup(let reason):
            ConfigurationError("TLS: \(reason)", setting: "tls-cert")
        }
    }

    /// The graceful sequence: readiness 503 → keep serving for the drain delay → stop accepting → let
    /// in-flight requests finish (idle connections close) → flush and fsync the pipeline → close the rest.
    /// Bounded by `drainDelay + shutdownTimeout`.
    public func shutdown() async {
        beginDraining()
        logger.info("draining", metadata: ["drain_delay": "\(configuration.drainDelay)"])
        if configuration.drainDelay > .zero {
            try? await Task.sleep(for: configuration.drainDelay)
        }
        let deadline = ContinuousClock.now + configuration.shutdownTimeout
        servers.forEach { $0.stopAccepting() }
        readiness.setListening(false)
        servers.forEach { $0.closeConnectionsGracefully() }
        var open: Int { servers.reduce(0) { $0 + $1.openConnectionCount } }
        while open > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
        let remaining = open
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            pipeline.stop(deadline: deadline) { done.resume() }
        }
        for server in servers {
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                server.shutdown { done.resume() }
            }
        }
        // After the servers: every request answered is described; before the sink, which it does not use.
        selfTelemetry?.stop()
        sink?.close()
        keys.stopWatching()
        tlsReloader?.stopWatching()
        logger.info("stopped", metadata: ["connections_cut": "\(remaining)"])
    }
}

extension KelpieApplication {
    /// The Kafka producer and its pipeline adapter; a configuration it refuses names the flag.
    static func makeKafkaSink(
        _ configuration: AppConfiguration, metrics: KelpieMetrics, logger: Logger
    ) throws -> KafkaPipelineSink {
        func setting(_ name: String, _ message: String) -> ConfigurationError {
            ConfigurationError("\(SettingName.both(name)): \(message)", setting: name)
        }
        let topic: KafkaTopicName
        do { topic = try KafkaTopicName(template: configuration.kafkaTopic) } catch { throw setting("kafka-topic", "\(error)") }
        guard let keyMode = KafkaKeyMode(rawValue: configuration.kafkaKey) else {
            throw setting("kafka-key", "is '\(configuration.kafkaKey)'; expected dataset, trace or random")
        }
        var properties: [KafkaProperty] = []
        for text in configuration.kafkaProperties {
            do { properties.append(try KafkaProperty(parsing: text)) } catch { throw setting("kafka-property", "\(error)") }
        }
        let producerConfiguration = KafkaProducerConfiguration(
            bootstrapServers: configuration.kafkaBrokers, topic: topic, keyMode: keyMode,
            batchEvents: configuration.kafkaBatchEvents, properties: properties
        )
        let telemetry = KafkaTelemetry(registry: metrics.registry, logger: logger)
        let producer: KafkaProducer
        do {
            producer = try KafkaProducer(configuration: producerConfiguration, observer: telemetry)
        } catch {
            throw setting("kafka-property", "\(error)")
        }
        let sink = KafkaPipelineSink(producer: producer) { metrics.sinkRedelivered(events: $0) }
        telemetry.sink.withLock { $0 = sink }
        return sink
    }
}
