import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// Calls `reload` on every SIGHUP until cancelled (the key file's "reload now").
final class ReloadSignal: Sendable {
    // unsafe: DispatchSource is not marked Sendable, but cancel() is documented thread-safe and nothing else runs after init
    private nonisolated(unsafe) let source: any DispatchSourceSignal

    init(reload: @escaping @Sendable () -> Void) {
        signal(SIGHUP, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: DispatchQueue(label: "kelpie.sighup"))
        source.setEventHandler(handler: reload)
        source.resume()
    }

    func cancel() {
        source.cancel()
    }
}
