/// What a sink reports for one ``SinkBlock``.
public enum SinkOutcome: Sendable, Equatable {
    /// Every event of the block was delivered, except `rejected` ones, which can never be delivered (too
    /// large for the broker, unknown topic, not authorised, a per-event 4xx upstream): the pipeline sets those
    /// aside in the dead-letter spool and does not retry them.
    case delivered(rejected: [SinkRejection])
    /// Nothing is known to be delivered for certain; the pipeline hands the whole block over again after a
    /// backoff. `reason` is a short, stable label for metrics (`broker_down`, `timed_out`, …).
    case failed(reason: String)
}

/// One event a sink can never deliver, and why.
public struct SinkRejection: Sendable, Equatable {
    /// Index into the block's ``SinkBlock/events``.
    public var eventIndex: Int
    /// Short, stable label for metrics and the dead-letter record (`record_too_large`, `unknown_topic`, …).
    public var reason: String

    public init(eventIndex: Int, reason: String) {
        self.eventIndex = eventIndex
        self.reason = reason
    }
}
