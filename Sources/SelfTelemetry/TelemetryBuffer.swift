/// Self-telemetry's bounded queue as a pure value: events waiting to be sent, events handed to the sender
/// and not yet reported, and one bound on both together. What does not fit is refused (the caller counts
/// it); nothing here blocks, sleeps or allocates beyond the bound.
struct TelemetryBuffer {
    /// Events waiting plus in flight, at most.
    let capacity: Int
    /// Events per block taken by ``takeBlock(maxEvents:)``; reaching it asks for an early flush.
    let blockEvents: Int
    private(set) var waiting: [TelemetryEvent] = []
    private(set) var inFlight = 0
    /// Set when a full block is waiting and the sender has been asked to flush early, until it takes it.
    private(set) var flushRequested = false
    private(set) var isClosed = false

    init(capacity: Int, blockEvents: Int) {
        self.capacity = capacity
        self.blockEvents = blockEvents
    }

    enum Offer: Equatable {
        case queued
        /// Queued, and a full block now waits: the caller wakes the sender (once per block).
        case queuedFlushNow
        /// No room: dropped.
        case full
        /// Stopped: nothing is sent any more.
        case closed
    }

    var queued: Int { waiting.count + inFlight }

    mutating func offer(_ event: TelemetryEvent) -> Offer {
        guard !isClosed else { return .closed }
        guard queued < capacity else { return .full }
        waiting.append(event)
        if waiting.count >= blockEvents, !flushRequested {
            flushRequested = true
            return .queuedFlushNow
        }
        return .queued
    }

    /// Up to `maxEvents` waiting events, oldest first, now counted in flight.
    mutating func takeBlock(maxEvents: Int) -> [TelemetryEvent] {
        flushRequested = false
        let count = min(maxEvents, waiting.count)
        guard count > 0 else { return [] }
        inFlight += count
        if count == waiting.count {
            // The common case: everything waiting, handed over without copying an event.
            defer { waiting = [] }
            return waiting
        }
        let taken = Array(waiting.prefix(count))
        waiting.removeFirst(count)
        return taken
    }

    /// A block the sender reported (delivered or not): its events leave the queue.
    mutating func finished(events: Int) {
        inFlight -= events
    }

    /// Refuses every later offer; returns how many events were still waiting (dropped at stop).
    mutating func close() -> Int {
        isClosed = true
        defer { waiting.removeAll() }
        return waiting.count
    }
}
