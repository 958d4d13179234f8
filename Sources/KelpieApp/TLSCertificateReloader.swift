import DispatchSockets
import Logging
import Locking

/// Keeps the server's TLS context in step with the certificate and key files: polls their identity
/// (inode, size, mtime) and reloads when either changes, or at once on SIGHUP. New connections get the
/// new pair; open ones keep theirs. A pair that fails to load (a rotation caught half-way, a mismatch)
/// leaves the previous context in force and is reported once per change.
final class TLSCertificateReloader: Sendable {
    let configuration: TLSConfiguration
    private let install: @Sendable (TLSContext) -> Void
    private let logger: Logger
    private let metrics: KelpieMetrics
    private let loadedFiles: Lock<[FileIdentity?]>
    private let timer = PollTimer()

    init(configuration: TLSConfiguration, logger: Logger, metrics: KelpieMetrics, install: @escaping @Sendable (TLSContext) -> Void) {
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
        self.install = install
        loadedFiles = Lock(Self.identities(configuration))
    }

    /// Loads the files now and installs the result. False when they failed to load.
    @discardableResult
    func reload() -> Bool {
        let identities = Self.identities(configuration)
        loadedFiles.withLock { $0 = identities }
        do {
            let context = try TLSContext(configuration: configuration)
            install(context)
            metrics.tlsCertificateReloads.increment()
            logger.info("TLS certificate reloaded", metadata: ["certificate": "\(configuration.certificateChainPath)"])
            return true
        } catch {
            metrics.tlsCertificateReloadErrors.increment()
            logger.error("TLS certificate reload failed; the previous certificate stays in force", metadata: ["error": "\(error)"])
            return false
        }
    }

    func watch(every interval: Duration) {
        timer.start(label: "kelpie.tls-reload", every: interval) { [weak self] in
            guard let self else { return }
            let current = Self.identities(self.configuration)
            if self.loadedFiles.withLock({ $0 != current }) { self.reload() }
        }
    }

    func stopWatching() {
        timer.stop()
    }

    private static func identities(_ configuration: TLSConfiguration) -> [FileIdentity?] {
        [FileIdentity(path: configuration.certificateChainPath), FileIdentity(path: configuration.privateKeyPath)]
    }
}
