import Dispatch
import Locking

/// A repeating timer on its own serial queue, started once and cancelled once: how the key file and the
/// TLS certificate are polled for changes.
final class PollTimer: Sendable {
    private let source = Lock<PollTimerSource>(PollTimerSource())

    /// Starts calling `tick` every `interval` (first call one interval from now); replaces a running timer.
    func start(label: String, every interval: Duration, _ tick: @escaping @Sendable () -> Void) {
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: label))
        timer.schedule(deadline: .now() + interval.dispatchInterval, repeating: interval.dispatchInterval)
        timer.setEventHandler(handler: tick)
        timer.resume()
        source.withLock { holder in
            holder.timer?.cancel()
            holder.timer = timer
        }
    }

    func stop() {
        source.withLock { holder in
            holder.timer?.cancel()
            holder.timer = nil
        }
    }
}

/// Holds the Dispatch timer; only touched under the PollTimer's lock.
private final class PollTimerSource: @unchecked Sendable {  // mutated only inside the lock
    var timer: (any DispatchSourceTimer)?
}
