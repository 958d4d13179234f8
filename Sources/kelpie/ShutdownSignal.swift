import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// Turns SIGTERM and SIGINT into one awaited event. The first signal starts the graceful drain; a second
/// one exits at once (an operator who presses Ctrl-C twice means it).
enum ShutdownSignal {
    private nonisolated(unsafe) static var sources: [any DispatchSourceSignal] = []

    static func wait() async -> String {
        await withCheckedContinuation { (continuation: CheckedContinuation<String, Never>) in
            let queue = DispatchQueue(label: "kelpie.signals")
            let received = SignalLatch(continuation)
            for (number, name) in [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
                source.setEventHandler {
                    if !received.fire(name) { _exit(128 + number) }
                }
                source.resume()
                sources.append(source)
            }
        }
    }
}

/// Resumes the waiting continuation on the first signal only; confined to the signal queue.
private final class SignalLatch: @unchecked Sendable {
    private var continuation: CheckedContinuation<String, Never>?

    init(_ continuation: CheckedContinuation<String, Never>) {
        self.continuation = continuation
    }

    /// Returns false when a signal had already fired.
    func fire(_ name: String) -> Bool {
        guard let continuation else { return false }
        self.continuation = nil
        continuation.resume(returning: name)
        return true
    }
}
