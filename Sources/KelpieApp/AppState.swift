import Synchronization

/// Process-wide flags the probes read: set by the application's lifecycle, read by `/readyz` and `/healthz`.
final class AppState: Sendable {
    private let listening = Atomic<Bool>(false)
    private let draining = Atomic<Bool>(false)

    var isListening: Bool {
        get { listening.load(ordering: .acquiring) }
        set { listening.store(newValue, ordering: .releasing) }
    }

    var isDraining: Bool {
        get { draining.load(ordering: .acquiring) }
        set { draining.store(newValue, ordering: .releasing) }
    }
}
