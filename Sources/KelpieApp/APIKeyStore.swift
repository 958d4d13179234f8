import Locking
import Dispatch
import Ingest
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Who may send: either every non-empty key (open mode, no key file: `make run` works out of the box) or
/// exactly the keys in the key file, which is re-read when it changes (polled) or on SIGHUP. A file that
/// fails to load on reload leaves the previous keys in force.
final class APIKeyStore: Sendable {
    enum Outcome: Sendable {
        case admitted(APIKeyEntry)
        case unknown
    }

    let path: String?
    private let entries = Lock<[APIKeyEntry]>([])
    private let fileState = Lock<FileIdentity?>(nil)
    private let logger: Logger
    private let metrics: KelpieMetrics
    private let timer = Lock<TimerHolder>(TimerHolder())

    /// Opens the store; with a path, the file must load now (a bad key file stops start-up).
    init(path: String?, logger: Logger, metrics: KelpieMetrics) throws(APIKeyFile.LoadError) {
        self.path = path
        self.logger = logger
        self.metrics = metrics
        if path != nil {
            try load()
        }
    }

    var isOpen: Bool { path == nil }

    /// Looks the key up. Every entry is compared, in constant time, whatever matches: the time taken
    /// says nothing about which key (or how much of one) is right.
    func authenticate(_ key: String) -> Outcome {
        let digest = APIKeyDigest(key: key)
        guard path != nil else {
            return .admitted(Self.openEntry(digest: digest, kind: APIKeyKind(key: key)))
        }
        return entries.withLock { entries in
            var found: APIKeyEntry?
            for entry in entries where entry.digest.constantTimeEquals(digest) {
                found = entry
            }
            return found.map(Outcome.admitted) ?? .unknown
        }
    }

    var keyCount: Int { entries.withLock { $0.count } }

    /// Re-reads the file now (SIGHUP, or the poller saw a change).
    @discardableResult
    func reload() -> Bool {
        do {
            try load()
            logger.info("key file reloaded", metadata: ["path": "\(path ?? "")", "keys": "\(keyCount)"])
            metrics.keyReloads.increment()
            return true
        } catch {
            // Remember the broken version too, so it is reported once, not on every poll.
            if let path { fileState.withLock { $0 = FileIdentity(path: path) } }
            logger.error("key file reload failed; previous keys stay in force", metadata: ["path": "\(path ?? "")", "error": "\(error)"])
            metrics.keyReloadErrors.increment()
            return false
        }
    }

    /// Polls the file's identity (inode, size, mtime) every `interval` and reloads when it changes. A
    /// Kubernetes Secret update swaps a symlink, which changes the inode `stat` sees.
    func watch(every interval: Duration) {
        guard path != nil else { return }
        let source = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "kelpie.keys"))
        source.schedule(deadline: .now() + interval.dispatchInterval, repeating: interval.dispatchInterval)
        source.setEventHandler { [weak self] in
            guard let self, let path = self.path else { return }
            let current = FileIdentity(path: path)
            let changed = self.fileState.withLock { $0 != current }
            if changed { self.reload() }
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

    private func load() throws(APIKeyFile.LoadError) {
        guard let path else { return }
        let identity = FileIdentity(path: path)
        guard let bytes = Self.readFile(path) else {
            throw APIKeyFile.LoadError(description: "cannot read key file \(path): \(String(cString: strerror(errno)))")
        }
        let loaded = try APIKeyFile.parse(bytes)
        entries.withLock { $0 = loaded }
        fileState.withLock { $0 = identity }
    }

    private static func openEntry(digest: APIKeyDigest, kind: APIKeyKind) -> APIKeyEntry {
        let environment = kind == .classic ? APIKeyEntry.Named(name: "", slug: "") : APIKeyEntry.Named(name: "kelpie", slug: "kelpie")
        return APIKeyEntry(
            id: APIKeyID.of(digest), digest: digest, type: "ingest",
            team: APIKeyEntry.Named(name: "kelpie", slug: "kelpie"), environment: environment,
            sendEvents: true, datasets: .all, createDatasets: true
        )
    }

    static func readFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { return nil }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<count])
            if bytes.count > 16 << 20 { errno = EFBIG; return nil }
        }
    }
}

/// Holds the poll timer; only touched under the store's lock.
private final class TimerHolder: @unchecked Sendable {  // unchecked: the DispatchSourceTimer is only touched under the store's lock
    var source: (any DispatchSourceTimer)?
}

/// What identifies a file's content cheaply: inode, size and modification time.
struct FileIdentity: Equatable, Sendable {
    var inode: UInt64
    var size: Int64
    var modifiedSeconds: Int
    var modifiedNanoseconds: Int

    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        modifiedSeconds = info.st_mtim.tv_sec
        modifiedNanoseconds = info.st_mtim.tv_nsec
    }
}

extension Duration {
    var dispatchInterval: DispatchTimeInterval {
        let (seconds, attoseconds) = components
        return .nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))
    }
}
