import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// Turns SIGTERM and SIGINT into one awaited event. Installed before the server starts, so a signal that
/// arrives during start-up is not lost to the default action. The first signal starts the graceful drain;
/// a second one exits at once (an operator who presses Ctrl-C twice means it).
final class ShutdownSignal: @unchecked Sendable {  // unchecked: signal sources and their state live on one serial queue
    private let queue = DispatchQueue(label: "kelpie.signals")
    private var sources: [any DispatchSourceSignal] = []
    /// Confined to `queue`.
    private var received: String?
    private var waiter: CheckedContinuation<String, Never>?

    init() {
        for (number, name) in [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [unowned self] in
                guard received == nil else { _exit(128 + number) }
                received = name
                waiter?.resume(returning: name)
                waiter = nil
            }
            source.resume()
            sources.append(source)
        }
    }

    /// Returns the name of the first signal, at once if it already came.
    func wait() async -> String {
        await withCheckedContinuation { continuation in
            queue.async { [self] in
                if let received {
                    continuation.resume(returning: received)
                } else {
                    waiter = continuation
                }
            }
        }
    }
}
