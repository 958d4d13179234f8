import Locking

/// One submitted block on its way through librdkafka: one ticket per record (the message opaque librdkafka
/// hands back in the delivery report), and the events each record carries, so record outcomes map back to
/// event positions. Completes once every record has a delivery report or a synchronous failure.
final class PendingBlock: @unchecked Sendable {  // tickets are written before the first produce and only read after
    struct State {
        var remainingRecords: Int
        var failures: [KafkaEventFailure] = []
    }

    let eventCount: Int
    let completion: KafkaProducer.Completion
    let eventIndicesByRecord: [[Int]]
    let tickets: UnsafeMutablePointer<RecordTicket>
    private let state: Lock<State>

    init(eventCount: Int, eventIndicesByRecord: [[Int]], completion: @escaping KafkaProducer.Completion) {
        self.eventCount = eventCount
        self.eventIndicesByRecord = eventIndicesByRecord
        self.completion = completion
        tickets = .allocate(capacity: max(eventIndicesByRecord.count, 1))
        state = Lock(State(remainingRecords: eventIndicesByRecord.count))
    }

    deinit { tickets.deallocate() }

    /// Records the outcome of one record; true when it was the block's last one.
    func recordFinished(_ record: Int, error: KafkaError?) -> Bool {
        state.withLock { state in
            if let error {
                for index in eventIndicesByRecord[record] {
                    state.failures.append(KafkaEventFailure(index: index, error: error))
                }
            }
            state.remainingRecords -= 1
            return state.remainingRecords == 0
        }
    }

    func result() -> KafkaBlockResult {
        let failures = state.withLock { $0.failures }.sorted { $0.index < $1.index }
        return KafkaBlockResult(eventCount: eventCount, failures: failures)
    }
}

/// librdkafka's per-message opaque: which block and record a delivery report belongs to.
struct RecordTicket {
    /// Unretained: the producer holds one retain on the block until it completes.
    var block: Unmanaged<PendingBlock>
    var record: Int
    var events: Int
    var enqueuedAt: ContinuousClock.Instant
}
