import Foundation
import KafkaSink
import TestSupport

/// A Kafka topic as the end-to-end tests read it back, plus the `/metrics` figures they compare with it.
struct KafkaTopic {
    let bootstrapServers: String
    let name: String

    /// Everything in the topic once it holds at least `count` records, or what it held at `timeout` (the
    /// topic may not exist yet, records may still be on their way).
    func records(atLeast count: Int, timeout: Duration = .seconds(30)) -> [KafkaRecord] {
        var records: [KafkaRecord] = []
        _ = waitUntil(timeout: timeout) {
            guard let consumer = try? KafkaPartitionConsumer(bootstrapServers: bootstrapServers),
                  let read = try? consumer.readAll(topic: name, timeout: .seconds(10)) else { return false }
            records = read
            return records.count >= count
        }
        return records
    }

    /// The sum of a metric's samples on a Prometheus text page: `name` alone, or `name{label="value"}` to
    /// pick samples whose labels contain that pair.
    static func metric(_ series: String, in page: String) -> Double {
        let name = series.split(separator: "{").first.map(String.init) ?? series
        let wanted = series.contains("{") ? String(series.dropFirst(name.count + 1).dropLast()) : nil
        var total = 0.0
        for line in page.split(separator: "\n") where line.hasPrefix(name + " ") || line.hasPrefix(name + "{") {
            if let wanted, !line.contains(wanted) { continue }
            total += Double(line.split(separator: " ").last ?? "") ?? 0
        }
        return total
    }
}

extension KafkaRecord {
    var valueText: String { String(decoding: value, as: UTF8.self) }
    var keyText: String? { key.map { String(decoding: $0, as: UTF8.self) } }
}
