public import HTTPServer
import Prometheus

/// The memory budget's metrics (`--max-inflight-bytes`), documented in docs/metrics.md. Waits and refusals
/// are rare (the budget is spent), so the registry's lookup on each is no cost worth caching away.
extension KelpieMetrics {
    /// A connection stopped reading a body until the budget has room.
    public func memoryBudgetWaited() {
        inflightWaits().increment()
    }

    /// A request answered 503 for want of room in the budget (a body, or a decoded body).
    public func memoryBudgetRefused() {
        inflightRefusals().increment()
    }

    /// Lists the families before any traffic, with the limit.
    func registerMemoryBudget(limitBytes: Int) {
        inflightLimitBytes().set(to: Double(limitBytes))
        inflightBytes().set(to: 0)
        _ = inflightWaits()
        _ = inflightRefusals()
    }

    /// Refreshed on each scrape.
    func recordMemoryBudget(_ budget: MemoryBudget) {
        inflightBytes().set(to: Double(budget.bytesInUse))
    }

    private func inflightBytes() -> Gauge {
        registry.makeGauge(descriptor: Self.name(nil, "inflight_bytes", "", "Request bytes held in memory now (bodies being received, decoded bodies until the pipeline has them), charged to --max-inflight-bytes."))
    }

    private func inflightLimitBytes() -> Gauge {
        registry.makeGauge(descriptor: Self.name(nil, "inflight_limit_bytes", "", "The memory budget, --max-inflight-bytes."))
    }

    private func inflightWaits() -> Counter {
        registry.makeCounter(descriptor: Self.name(nil, "inflight_waits", "total", "Times a connection stopped reading a request body because the memory budget was spent."))
    }

    private func inflightRefusals() -> Counter {
        registry.makeCounter(descriptor: Self.name(nil, "inflight_refusals", "total", "Requests answered 503 with Retry-After because the memory budget had no room for them within --inflight-wait."))
    }
}
