/// Byte-budget admission with saturation hysteresis: a pure state machine, kept under the pipeline's lock.
///
/// A batch is refused when admitting it would take the queued bytes past the budget, except when nothing is
/// queued: a batch larger than the whole budget is then admitted alone, so it cannot be refused forever
/// (the HTTP body cap is what bounds a single batch).
struct AdmissionGate {
    enum Decision: Equatable {
        case accepted
        case queueFull
        /// ack=durable with a remote sink: the WAL holds its cap of undelivered bytes.
        case walFull
        case stopped
    }

    let maxQueuedBytes: Int
    /// `isSaturated` turns true at or above this many queued bytes.
    let highWaterBytes: Int
    /// `isSaturated` turns false only below this many queued bytes.
    let lowWaterBytes: Int

    /// ack=durable with a remote sink: WAL bytes not yet delivered may not exceed this (nil: no such cap,
    /// the spool's retention trims instead). Saturation uses the same fractions of it.
    let maxBacklogBytes: Int64?
    private let backlogHighWaterBytes: Int64
    private let backlogLowWaterBytes: Int64

    private(set) var queuedBytes = 0
    /// WAL bytes waiting for the sink, as the writer last reported.
    private(set) var backlogBytes: Int64 = 0
    private(set) var isSaturated = false
    private(set) var isStopped = false

    init(maxQueuedBytes: Int, highWaterFraction: Double, lowWaterFraction: Double, maxBacklogBytes: Int64? = nil) {
        let budget = max(maxQueuedBytes, 0)
        let high = min(max(highWaterFraction, 0), 1)
        let low = min(max(lowWaterFraction, 0), high)
        self.maxQueuedBytes = budget
        self.highWaterBytes = Int((Double(budget) * high).rounded(.up))
        self.lowWaterBytes = Int((Double(budget) * low).rounded(.up))
        self.maxBacklogBytes = maxBacklogBytes.map { max($0, 0) }
        self.backlogHighWaterBytes = Int64((Double(maxBacklogBytes ?? 0) * high).rounded(.up))
        self.backlogLowWaterBytes = Int64((Double(maxBacklogBytes ?? 0) * low).rounded(.up))
    }

    /// The cheap check before a batch is encoded: is there any room at all?
    func precheck() -> Decision {
        if isStopped { return .stopped }
        if queuedBytes > 0 && queuedBytes >= maxQueuedBytes { return .queueFull }
        if let cap = maxBacklogBytes, backlogBytes > 0, backlogBytes + Int64(queuedBytes) >= cap { return .walFull }
        return .accepted
    }

    /// What ``admit(bytes:)`` would decide now, without admitting anything.
    func preview(bytes: Int) -> Decision {
        if isStopped { return .stopped }
        if queuedBytes > 0 && queuedBytes + bytes > maxQueuedBytes { return .queueFull }
        // As with the queue, a batch alone may exceed the cap only when nothing else waits.
        if let cap = maxBacklogBytes, backlogBytes + Int64(queuedBytes) > 0,
           backlogBytes + Int64(queuedBytes) + Int64(bytes) > cap {
            return .walFull
        }
        return .accepted
    }

    mutating func admit(bytes: Int) -> Decision {
        let decision = preview(bytes: bytes)
        guard decision == .accepted else { return decision }
        queuedBytes += bytes
        updateSaturation()
        return .accepted
    }

    /// The WAL's undelivered bytes changed (the writer appended, or delivered segments were deleted).
    mutating func updateBacklog(bytes: Int64) {
        backlogBytes = max(bytes, 0)
        updateSaturation()
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
        let backlogCapped = maxBacklogBytes != nil
        if isSaturated {
            let backlogLow = !backlogCapped || backlogBytes < backlogLowWaterBytes
            if queuedBytes < lowWaterBytes && backlogLow { isSaturated = false }
        } else if (queuedBytes >= highWaterBytes && queuedBytes > 0)
            || (backlogCapped && backlogBytes >= backlogHighWaterBytes && backlogBytes > 0) {
            isSaturated = true
        }
    }
}
