import Dispatch
import DispatchSockets
import Logging
import Synchronization

/// Keeps the server's TLS context in step with the certificate and key files: polls their identity
/// (inode, size, mtime) and reloads when either changes, or at once on SIGHUP. New connections get the
/// new pair; open ones keep theirs. A pair that fails to load (a rotation caught half-way, a mismatch)
/// leaves the previous context in force and is reported once per change.
final class TLSCertificateReloader: Sendable {
    let configuration: TLSConfiguration
    private let install: @Sendable (TLSContext) -> Void
    private let logger: Logger
    private let metrics: KelpieMetrics
    private let loadedFiles: Mutex<[FileIdentity?]>
    private let timer = Mutex<TLSReloadTimer>(TLSReloadTimer())

    init(configuration: TLSConfiguration, logger: Logger, metrics: KelpieMetrics, install: @escaping @Sendable (TLSContext) -> Void) {
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
        self.install = install
        loadedFiles = Mutex(Self.identities(configuration))
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
        let source = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "kelpie.tls-reload"))
        source.schedule(deadline: .now() + interval.dispatchInterval, repeating: interval.dispatchInterval)
        source.setEventHandler { [weak self] in
            guard let self else { return }
            let current = Self.identities(self.configuration)
            if self.loadedFiles.withLock({ $0 != current }) { self.reload() }
        }
        source.resume()
        timer.withLock { $0.source = source }
    }

    func stopWatching() {
        timer.withLock { holder in
            holder.source?.cancel()
            holder.source = nil
        }
    }

    private static func identities(_ configuration: TLSConfiguration) -> [FileIdentity?] {
        [FileIdentity(path: configuration.certificateChainPath), FileIdentity(path: configuration.privateKeyPath)]
    }
}

/// Holds the poll timer; only touched under the reloader's lock.
private final class TLSReloadTimer: @unchecked Sendable {  // mutated only inside Mutex.withLock
    var source: (any DispatchSourceTimer)?
}
