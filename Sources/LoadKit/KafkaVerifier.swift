public import KafkaSink

/// `verify` against Kafka: reads every partition of the topic(s) Kelpie produced to from the beginning
/// (partitions assigned directly, no consumer group) and compares the `kelpie_load_id` values in the record
/// values with the acknowledged ids.
public enum KafkaVerifier {
    /// The topics a run's datasets went to under `--kafka-topic` `template`: one topic without `{dataset}`,
    /// else one per dataset, mapped as Kelpie maps them (``KafkaTopicName``, docs/kafka.md).
    public static func topics(template: String, datasets: [String]) throws(LoadError) -> [String] {
        let name: KafkaTopicName
        do {
            name = try KafkaTopicName(template: template)
        } catch {
            throw .invalidArgument(error.description)
        }
        guard name.usesDataset else { return [name.template] }
        var topics: [String] = []
        for dataset in datasets {
            let topic = name.topic(forDataset: dataset)
            if !topics.contains(topic) { topics.append(topic) }
        }
        return topics
    }

    /// Reads `topics` to their current end. When acknowledged ids are still missing then (a forwarder still
    /// delivering with `--ack durable`), keeps reading what arrives for up to `settle` before reporting.
    /// `timeout` bounds the whole read; reaching it before every partition's end is an error.
    public static func verify(
        acknowledged: [String], brokers: String, topics: [String], runPrefix: String? = nil,
        properties: [KafkaProperty] = [], timeout: Duration = .seconds(120), settle: Duration = .zero
    ) throws(LoadError) -> VerifyReport {
        let consumer: KafkaPartitionConsumer
        do {
            consumer = try KafkaPartitionConsumer(bootstrapServers: brokers, properties: properties)
        } catch {
            throw .invalidArgument(error.description)
        }
        let deadline = ContinuousClock.now + timeout
        var report = VerifyReport()
        var assignment: [(topic: String, partition: Int32)] = []
        do {
            for topic in topics {
                for partition in try consumer.partitions(of: topic, timeout: deadline - ContinuousClock.now) {
                    assignment.append((topic, partition))
                }
                report.topicsScanned += 1
            }
            try consumer.assign(assignment)
        } catch {
            throw .io("Kafka at \(brokers), topics \(topics.joined(separator: ",")): \(error)")
        }
        var tally = IDTally(runPrefix: runPrefix)
        let ackedSet = Set(acknowledged)
        var ended = Set<String>()
        var settleDeadline: ContinuousClock.Instant?
        var lastCheck = ContinuousClock.now
        while true {
            let now = ContinuousClock.now
            if ended.count == assignment.count {
                // Everything there now is read: wait on only while acknowledged ids are missing, up to `settle`.
                if settleDeadline == nil { settleDeadline = now + settle }
                if let settleDeadline, now >= settleDeadline { break }
                if now - lastCheck >= .milliseconds(500) || settle == .zero {
                    lastCheck = now
                    if tally.missingCount(of: ackedSet) == 0 { break }
                }
            } else if now >= deadline {
                throw .io("Kafka: topics \(topics.joined(separator: ",")) not read to their end within \(timeout) (\(ended.count)/\(assignment.count) partitions)")
            }
            switch consumer.poll(timeout: .milliseconds(100)) {
            case .record(let record):
                report.linesScanned += 1
                tally.scan(record.value[...])
                ended.remove(Self.key(record.topic, record.partition))
            case .endOfPartition(let topic, let partition):
                ended.insert(Self.key(topic, partition))
            case .error, nil:
                continue
            }
        }
        tally.compare(acknowledged: ackedSet, into: &report)
        return report
    }

    private static func key(_ topic: String, _ partition: Int32) -> String { topic + "/" + String(partition) }
}
