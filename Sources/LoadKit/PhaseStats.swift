public import Histogram

/// Counters and the latency histogram of one phase (or of the whole run), mergeable across workers.
public struct PhaseStats: Sendable {
    /// Latencies are recorded in microseconds, up to this bound; longer ones are clamped to it.
    public static let maxTrackableLatencyMicros: UInt64 = 300_000_000
    public static let statusSlots = 600

    public var requestsSent = 0
    /// Responses received (any status).
    public var requestsCompleted = 0
    /// Open loop: requests that were due in this phase but never sent because no connection was free.
    public var requestsMissed = 0
    public var eventsSent = 0
    /// Events the server accepted: per-event 2xx for batch replies, all events of a 2xx request otherwise.
    public var eventsAccepted = 0
    public var bytesSent = 0
    public var transportErrors = 0
    public var timeouts = 0
    public var protocolErrors = 0
    /// Failed connection attempts (no request was lost; the connection is retried after a backoff).
    public var connectErrors = 0
    /// Batch replies whose per-event statuses could not be read or did not match the event count.
    public var unreadableReplies = 0
    /// HTTP status → responses (index is the status code).
    public var statusCounts = [Int](repeating: 0, count: PhaseStats.statusSlots)
    /// Per-event status from batch replies → events.
    public var eventStatusCounts = [Int](repeating: 0, count: PhaseStats.statusSlots)
    public var latencyMicros = Histogram<UInt64>(
        lowestDiscernibleValue: 1, highestTrackableValue: PhaseStats.maxTrackableLatencyMicros,
        numberOfSignificantValueDigits: .three)

    public init() {}

    public mutating func recordLatency(nanos: Int64) {
        let micros = UInt64(max(0, nanos) / 1000)
        latencyMicros.record(min(max(micros, 1), Self.maxTrackableLatencyMicros))
    }

    public mutating func recordStatus(_ status: Int) {
        statusCounts[status >= 0 && status < Self.statusSlots ? status : 0] += 1
    }

    public mutating func recordEventStatus(_ status: Int) {
        eventStatusCounts[status >= 0 && status < Self.statusSlots ? status : 0] += 1
    }

    public mutating func merge(_ other: PhaseStats) {
        requestsSent += other.requestsSent
        requestsCompleted += other.requestsCompleted
        requestsMissed += other.requestsMissed
        eventsSent += other.eventsSent
        eventsAccepted += other.eventsAccepted
        bytesSent += other.bytesSent
        transportErrors += other.transportErrors
        timeouts += other.timeouts
        protocolErrors += other.protocolErrors
        connectErrors += other.connectErrors
        unreadableReplies += other.unreadableReplies
        for index in 0..<Self.statusSlots {
            statusCounts[index] += other.statusCounts[index]
            eventStatusCounts[index] += other.eventStatusCounts[index]
        }
        latencyMicros.add(other.latencyMicros)
    }

    /// Responses with a 2xx status.
    public var successfulRequests: Int { statusCounts[200..<300].reduce(0, +) }
    /// Non-2xx responses plus requests that got no response (transport error, timeout, unreadable response).
    public var failedRequests: Int {
        requestsCompleted - successfulRequests + transportErrors + timeouts + protocolErrors
    }
    public var failedEvents: Int {
        var failed = 0
        for index in 0..<Self.statusSlots where !(200..<300).contains(index) { failed += eventStatusCounts[index] }
        return failed
    }

    /// Failed requests over attempted ones, and failed events over events in batch replies; the larger.
    public var errorRate: Double {
        let attempts = requestsCompleted + transportErrors + timeouts + protocolErrors
        // Nothing got through at all (no connection, or none free): that is a total failure, not 0 %.
        if attempts == 0 { return connectErrors > 0 || requestsMissed > 0 ? 1 : 0 }
        let requestRate = Double(failedRequests) / Double(attempts)
        let repliedEvents = eventStatusCounts.reduce(0, +)
        let eventRate = repliedEvents == 0 ? 0 : Double(failedEvents) / Double(repliedEvents)
        return max(requestRate, eventRate)
    }

    public var nonZeroStatusCounts: [(Int, Int)] {
        statusCounts.enumerated().filter { $0.element > 0 }.map { ($0.offset, $0.element) }
    }

    public var nonZeroEventStatusCounts: [(Int, Int)] {
        eventStatusCounts.enumerated().filter { $0.element > 0 }.map { ($0.offset, $0.element) }
    }
}
