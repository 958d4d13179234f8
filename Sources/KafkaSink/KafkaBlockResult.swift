/// How one submitted block of events ended. Every event of the block is either delivered (acknowledged
/// by all in-sync replicas) or listed in `failures` with its error.
public struct KafkaBlockResult: Sendable {
    /// What the block as a whole needs next.
    public enum Outcome: Sendable, Equatable {
        /// Every event is in Kafka.
        case delivered
        /// At least one event may still be delivered by submitting it again (the broker was unreachable,
        /// the producer is closing, …): the block is not done.
        case retriableFailure
        /// Every event is either in Kafka or can never be: dead-letter the failures, the block is done.
        case permanentFailure
    }

    public let eventCount: Int
    /// One entry per failed event, in event order.
    public let failures: [KafkaEventFailure]

    public var outcome: Outcome {
        if failures.isEmpty { return .delivered }
        if failures.contains(where: { $0.error.disposition == .retriable }) { return .retriableFailure }
        return .permanentFailure
    }

    public var deliveredEventCount: Int { eventCount - failures.count }

    /// The events that must go to the dead-letter spool (never deliverable), with their cause.
    public var deadLetters: [(index: Int, cause: KafkaDeadLetterCause)] {
        failures.compactMap { failure in
            if case .deadLetter(let cause) = failure.error.disposition { return (failure.index, cause) }
            return nil
        }
    }
}

/// One event of a block that did not reach Kafka.
public struct KafkaEventFailure: Sendable, Equatable {
    /// The event's position in the submitted block.
    public let index: Int
    public let error: KafkaError
}
