/// Byte-budget admission with saturation hysteresis: a pure state machine, kept under the pipeline's lock.
///
/// A batch is refused when admitting it would take the queued bytes past the budget, except when nothing is
/// queued: a batch larger than the whole budget is then admitted alone, so it cannot be refused forever
/// (the HTTP body cap is what bounds a single batch).
struct AdmissionGate {
    enum Decision: Equatable {
        case accepted
        case queueFull
        case stopped
    }

    let maxQueuedBytes: Int
    /// `isSaturated` turns true at or above this many queued bytes.
    let highWaterBytes: Int
    /// `isSaturated` turns false only below this many queued bytes.
    let lowWaterBytes: Int

    private(set) var queuedBytes = 0
    private(set) var isSaturated = false
    private(set) var isStopped = false

    init(maxQueuedBytes: Int, highWaterFraction: Double, lowWaterFraction: Double) {
        let budget = max(maxQueuedBytes, 0)
        let high = min(max(highWaterFraction, 0), 1)
        let low = min(max(lowWaterFraction, 0), high)
        self.maxQueuedBytes = budget
        self.highWaterBytes = Int((Double(budget) * high).rounded(.up))
        self.lowWaterBytes = Int((Double(budget) * low).rounded(.up))
    }

    /// The cheap check before a batch is encoded: is there any room at all?
    func precheck() -> Decision {
        if isStopped { return .stopped }
        if queuedBytes > 0 && queuedBytes >= maxQueuedBytes { return .queueFull }
        return .accepted
    }

    /// What ``admit(bytes:)`` would decide now, without admitting anything.
    func preview(bytes: Int) -> Decision {
        if isStopped { return .stopped }
        if queuedBytes > 0 && queuedBytes + bytes > maxQueuedBytes { return .queueFull }
        return .accepted
    }

    mutating func admit(bytes: Int) -> Decision {
        if isStopped { return .stopped }
        if queuedBytes > 0 && queuedBytes + bytes > maxQueuedBytes { return .queueFull }
        queuedBytes += bytes
        updateSaturation()
        return .accepted
    }

    /// Bytes left the queue (written and synced, or abandoned).
    mutating func release(bytes: Int) {
        queuedBytes = max(queuedBytes - bytes, 0)
        updateSaturation()
    }

    mutating func stop() {
        isStopped = true
    }

    private mutating func updateSaturation() {
        if isSaturated {
            if queuedBytes < lowWaterBytes { isSaturated = false }
        } else if queuedBytes >= highWaterBytes && queuedBytes > 0 {
            isSaturated = true
        }
    }
}
