import Locking
public import DispatchSockets
import HTTPServer
import Ingest
import KafkaSink
public import Logging
import Pipeline
import Prometheus

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
    /// nil when the spool is the sink.
    private let sink: (any Sink)?

    public init(configuration: AppConfiguration, logger: Logger, metrics: KelpieMetrics? = nil) throws {
        try configuration.validate()
        self.configuration = configuration
        self.logger = logger
        let metrics = metrics ?? KelpieMetrics(version: configuration.version)
        self.metrics = metrics
        metrics.startTime.set(to: ProcessStats.unixTimeSeconds())
        metrics.queueCapacityBytes.set(to: Double(configuration.maxQueuedBytes))

        let sink: (any Sink)? = switch configuration.sink {
        case .spool: nil
        case .null: NullSink()
        case .kafka: try Self.makeKafkaSink(configuration, registry: metrics.registry, logger: logger)
        }
        self.sink = sink
        metrics.registerSink(sink?.name ?? "spool")
        let pipeline = try EventPipeline(
            configuration: configuration.pipelineConfiguration, observer: metrics, sink: sink
        )
        self.pipeline = pipeline
        let readiness = Readiness(pipeline: pipeline, metrics: metrics)
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

        var limits = IngestLimits()
        limits.maxDecodedBodyBytes = configuration.maxDecodedBodyBytes
        let ingest = IngestRoutes(
            admission: IngestAdmission(
                pipeline: pipeline, metrics: metrics, keys: keys, maxDecodedBodyBytes: configuration.maxDecodedBodyBytes
            ),
            decoder: HoneycombDecoder(limits: limits), otlpDecoder: OTLPDecoder(),
            maxEventBodyBytes: configuration.maxEventBodyBytes
        )
        let auth = AuthRoutes(keys: keys, metrics: metrics)
        // The lanes' heartbeats come from the server, which needs the router first: late-bound.
        let serverBox = Lock<Server?>(nil)
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
        let server = Server(
            configuration: configuration.serverConfiguration, router: router, observer: metrics,
            logger: logger
        )
        serverBox.withLock { $0 = server }
        self.server = server
        grpcServer = configuration.grpcServerConfiguration.map {
            Server(configuration: $0, router: router, observer: metrics, logger: logger)
        }
    }

    /// Every listener's server: the main one, then the `--grpc-listen` one.
    private var servers: [Server] { [server] + (grpcServer.map { [$0] } ?? []) }

    /// Starts the pipeline and the listener; returns the bound address. Ready from here on.
    @discardableResult
    public func start() throws -> SocketAddress {
        pipeline.start()
        keys.watch(every: configuration.keyReloadInterval)
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
        sink?.close()
        keys.stopWatching()
        logger.info("stopped", metadata: ["connections_cut": "\(remaining)"])
    }
}

extension KelpieApplication {
    /// The Kafka producer and its pipeline adapter; a configuration it refuses names the flag.
    static func makeKafkaSink(
        _ configuration: AppConfiguration, registry: PrometheusCollectorRegistry, logger: Logger
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
        let telemetry = KafkaTelemetry(registry: registry, logger: logger)
        let producer: KafkaProducer
        do {
            producer = try KafkaProducer(configuration: producerConfiguration, observer: telemetry)
        } catch {
            throw setting("kafka-property", "\(error)")
        }
        let sink = KafkaPipelineSink(producer: producer)
        telemetry.sink.withLock { $0 = sink }
        return sink
    }
}
