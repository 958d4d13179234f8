/// How a block of events becomes records: which events share a record, its topic and its key. Pure, so
/// the grouping rules are testable without a broker.
///
/// With `batchEvents` 1 every event is its own record, in block order. Above 1, events with the same
/// dataset, key id and record key are packed, in block order, into records of up to `batchEvents`
/// events; records are emitted in the order their first event appears, so events that share a record
/// key (and so a partition) keep their order.
struct KafkaRecordPlan {
    struct Record: Equatable {
        var topic: String
        /// nil: no key (``KafkaKeyMode/random``).
        var key: String?
        /// Positions of this record's events in the block.
        var eventIndices: [Int]
    }

    var records: [Record] = []

    init(events: [KafkaEvent], topic: KafkaTopicName, keyMode: KafkaKeyMode, batchEvents: Int) {
        records.reserveCapacity(batchEvents == 1 ? events.count : events.count / batchEvents + 1)
        var topicByDataset: [String: String] = [:]
        func topicName(_ dataset: String) -> String {
            if let known = topicByDataset[dataset] { return known }
            let name = topic.topic(forDataset: dataset)
            topicByDataset[dataset] = name
            return name
        }
        struct GroupKey: Hashable {
            var dataset: String
            var keyID: String
            var key: String?
        }
        var open: [GroupKey: Int] = [:]
        for (index, event) in events.enumerated() {
            let key = Self.key(for: event, mode: keyMode)
            if batchEvents == 1 {
                records.append(Record(topic: topicName(event.dataset), key: key, eventIndices: [index]))
                continue
            }
            let group = GroupKey(dataset: event.dataset, keyID: event.keyID, key: key)
            if let recordIndex = open[group] {
                records[recordIndex].eventIndices.append(index)
                if records[recordIndex].eventIndices.count == batchEvents { open[group] = nil }
            } else {
                open[group] = records.count
                records.append(Record(topic: topicName(event.dataset), key: key, eventIndices: [index]))
            }
        }
    }

    static func key(for event: KafkaEvent, mode: KafkaKeyMode) -> String? {
        switch mode {
        case .dataset: event.dataset
        case .trace: event.traceID ?? event.dataset
        case .random: nil
        }
    }
}
