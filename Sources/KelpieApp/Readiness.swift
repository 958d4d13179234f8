import HTTPServer
import Pipeline
import Synchronization

/// Whether new traffic should come here, in one place: listening, not draining, and the pipeline's queue
/// below its high-water mark. The lifecycle sets the flags; `/readyz` and `/metrics` ask for the reasons.
/// The `kelpie_ready` and `kelpie_draining` gauges are written here and nowhere else.
final class Readiness: Sendable {
    private let listening = Atomic<Bool>(false)
    private let draining = Atomic<Bool>(false)
    private let pipeline: EventPipeline
    private let metrics: KelpieMetrics
    /// A reason the sink gives while it cannot deliver for a reason more traffic makes no better
    /// (`upstream_unauthorized`), nil otherwise.
    private let sinkRefusal: @Sendable () -> String?
    /// Spent (readers waiting for room): new traffic would only wait, or get 503, here.
    private let memoryBudget: MemoryBudget?

    init(
        pipeline: EventPipeline, metrics: KelpieMetrics, sinkRefusal: @escaping @Sendable () -> String? = { nil },
        memoryBudget: MemoryBudget? = nil
    ) {
        self.pipeline = pipeline
        self.metrics = metrics
        self.sinkRefusal = sinkRefusal
        self.memoryBudget = memoryBudget
    }

    var isDraining: Bool { draining.load(ordering: .acquiring) }

    /// The listener is open (or closed again during shutdown).
    func setListening(_ value: Bool) {
        listening.store(value, ordering: .releasing)
        _ = reasons()
    }

    /// Readiness turns 503 from now on, for good.
    func beginDraining() {
        draining.store(true, ordering: .releasing)
        _ = reasons()
    }

    /// Why the server is not ready (empty when it is); refreshes the gauges, since saturation changes on its own.
    func reasons() -> [String] {
        var reasons: [String] = []
        if !listening.load(ordering: .acquiring) { reasons.append("not_listening") }
        if isDraining { reasons.append("draining") }
        if pipeline.isSaturated { reasons.append("queue_saturated") }
        if let refusal = sinkRefusal() { reasons.append(refusal) }
        if let memoryBudget {
            if memoryBudget.isSpent { reasons.append("memory_budget_spent") }
            metrics.recordMemoryBudget(memoryBudget)
        }
        metrics.ready.set(to: reasons.isEmpty ? 1 : 0)
        metrics.draining.set(to: isDraining ? 1 : 0)
        return reasons
    }
}
