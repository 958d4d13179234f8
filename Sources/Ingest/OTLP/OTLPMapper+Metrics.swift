import EventModel
/// Metric data points → events, one event per data point (Honeycomb merges points that share a second,
/// resource and attributes into one event; Kelpie does not — see docs/otlp.md).
extension OTLPMapper {
    enum MetricKind {
        case gauge, sum, histogram, exponentialHistogram, summary

        var name: StaticString {
            switch self {
            case .gauge: "gauge"
            case .sum: "sum"
            case .histogram: "histogram"
            case .exponentialHistogram: "exponential_histogram"
            case .summary: "summary"
            }
        }
    }

    struct MetricSummary {
        var name = ProtoSlice.empty
        var description = ProtoSlice.empty
        var unit = ProtoSlice.empty
        var kind: MetricKind?
        var data = ProtoSlice.empty
        var temporality: UInt64?
        var isMonotonic: Bool?
    }

    /// DataPointFlags.FLAG_NO_RECORDED_VALUE: the point carries no value.
    static let noRecordedValueFlag: UInt64 = 1

    mutating func mapMetric(_ metric: ProtoSlice, envelope: Envelope) throws(ProtoWireError) {
        var summary = MetricSummary()
        var reader = ProtoReader(base: base, slice: metric)
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            switch tag.field {
            case 1: summary.name = try reader.slice(tag)
            case 2: summary.description = try reader.slice(tag)
            case 3: summary.unit = try reader.slice(tag)
            case 5: summary.kind = .gauge; summary.data = try reader.slice(tag)
            case 7: summary.kind = .sum; summary.data = try reader.slice(tag)
            case 9: summary.kind = .histogram; summary.data = try reader.slice(tag)
            case 10: summary.kind = .exponentialHistogram; summary.data = try reader.slice(tag)
            case 11: summary.kind = .summary; summary.data = try reader.slice(tag)
            case 12: _ = try reader.slice(tag)
            default: try reader.skip(tag)
            }
        }
        guard summary.kind != nil else { return }
        // Temporality and monotonicity first: every point's event carries them.
        var dataReader = ProtoReader(base: base, slice: summary.data)
        while !dataReader.isAtEnd {
            let tag = try dataReader.readTag()
            switch tag.field {
            case 1: _ = try dataReader.slice(tag)
            case 2 where summary.kind != .gauge && summary.kind != .summary: summary.temporality = try dataReader.varint(tag)
            case 3 where summary.kind == .sum: summary.isMonotonic = try dataReader.varint(tag) != 0
            default: try dataReader.skip(tag)
            }
        }
        dataReader = ProtoReader(base: base, slice: summary.data)
        while !dataReader.isAtEnd {
            let tag = try dataReader.readTag()
            if tag.field == 1 {
                try mapDataPoint(try dataReader.slice(tag), of: summary, envelope: envelope)
            } else {
                try dataReader.skip(tag)
            }
        }
    }

    private mutating func mapDataPoint(_ point: ProtoSlice, of metric: MetricSummary, envelope: Envelope) throws(ProtoWireError) {
        let bodyStart = writer.out.count
        let recordCount = batches[currentBatch].records.count
        var capture = AttributeCapture(takesSampleRate: false)
        let kind = metric.kind!
        let attributesField: UInt32 = switch kind {
        case .gauge, .sum, .summary: 7
        case .histogram: 9
        case .exponentialHistogram: 1
        }
        var timeNanos: UInt64 = 0
        var flags: UInt64 = 0
        var count: UInt64?
        var sum: Double?
        var minimum: Double?
        var maximum: Double?
        var intValue: Int64?
        var doubleValue: Double?
        var scale: Int64?
        var zeroCount: UInt64?
        var zeroThreshold: Double?
        var positive: ProtoSlice?
        var negative: ProtoSlice?
        var quantiles: [(Double, Double)] = []
        bucketCounts.removeAll(keepingCapacity: true)
        bounds.removeAll(keepingCapacity: true)

        writer.beginObject()
        var reader = ProtoReader(base: base, slice: point)
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            if tag.field == attributesField {
                try renderer.renderKeyValue(try reader.slice(tag), into: &writer, capture: &capture)
                continue
            }
            switch (kind, tag.field) {
            case (_, 2): _ = try reader.fixed64(tag)  // start time
            case (_, 3): timeNanos = try reader.fixed64(tag)
            case (.gauge, 4), (.sum, 4): doubleValue = try reader.double(tag); intValue = nil
            case (.gauge, 6), (.sum, 6): intValue = Int64(bitPattern: try reader.fixed64(tag)); doubleValue = nil
            case (.gauge, 8), (.sum, 8), (.summary, 8), (.histogram, 10), (.exponentialHistogram, 10):
                flags = try reader.varint(tag)
            case (.histogram, 4), (.exponentialHistogram, 4), (.summary, 4): count = try reader.fixed64(tag)
            case (.histogram, 5), (.exponentialHistogram, 5), (.summary, 5): sum = try reader.double(tag)
            case (.histogram, 6):
                try reader.forEachFixed64(tag) { (value) throws(ProtoWireError) in bucketCounts.append(value) }
            case (.histogram, 7):
                try reader.forEachFixed64(tag) { (value) throws(ProtoWireError) in bounds.append(Double(bitPattern: value)) }
            case (.histogram, 11), (.exponentialHistogram, 12): minimum = try reader.double(tag)
            case (.histogram, 12), (.exponentialHistogram, 13): maximum = try reader.double(tag)
            case (.exponentialHistogram, 6):
                let raw = try reader.varint(tag)
                scale = Int64(Int32(truncatingIfNeeded: Self.zigzagDecode(raw)))
            case (.exponentialHistogram, 7): zeroCount = try reader.fixed64(tag)
            case (.exponentialHistogram, 8): positive = try reader.slice(tag)
            case (.exponentialHistogram, 9): negative = try reader.slice(tag)
            case (.exponentialHistogram, 14): zeroThreshold = try reader.double(tag)
            case (.summary, 6): quantiles.append(try readQuantile(try reader.slice(tag)))
            default: try reader.skip(tag)
            }
        }

        writer.field("meta.signal_type", literal: "metric")
        writer.field("metric.name", string: base + metric.name.start, count: metric.name.count)
        if !metric.description.isEmpty {
            writer.field("metric.description", string: base + metric.description.start, count: metric.description.count)
        }
        if !metric.unit.isEmpty { writer.field("metric.unit", string: base + metric.unit.start, count: metric.unit.count) }
        writer.field("metric.type", literal: kind.name)
        if let temporality = metric.temporality {
            writer.field("metric.temporality", literal: Self.temporalityName(temporality))
        } else if kind == .sum || kind == .histogram || kind == .exponentialHistogram {
            writer.field("metric.temporality", literal: "unspecified")
        }
        if kind == .sum { writer.field("metric.is_monotonic", bool: metric.isMonotonic ?? false) }
        if flags != 0 { writer.field("metric.flags", int: Int64(flags)) }

        let recorded = flags & Self.noRecordedValueFlag == 0
        if recorded {
            switch kind {
            case .gauge, .sum:
                if let intValue {
                    if valueField(metric.name, suffix: "") { writer.intValue(intValue) }
                } else if let doubleValue, doubleValue.isFinite {
                    if valueField(metric.name, suffix: "") { writer.doubleValue(doubleValue) }
                }
            case .histogram, .exponentialHistogram, .summary:
                if let count, valueField(metric.name, suffix: ".count") { writer.uintValue(count) }
                writeDouble(sum, metric.name, ".sum")
                writeDouble(minimum, metric.name, ".min")
                writeDouble(maximum, metric.name, ".max")
                if kind == .histogram {
                    if valueField(metric.name, suffix: ".bucket_counts") { writeJSONStringOfUInts(bucketCounts) }
                    if valueField(metric.name, suffix: ".explicit_bounds") { writeJSONStringOfDoubles(bounds) }
                } else if kind == .exponentialHistogram {
                    if let scale, valueField(metric.name, suffix: ".scale") { writer.intValue(scale) }
                    if let zeroCount, valueField(metric.name, suffix: ".zero_count") { writer.uintValue(zeroCount) }
                    writeDouble(zeroThreshold, metric.name, ".zero_threshold")
                    if let positive { try writeBuckets(positive, metric.name, ".positive") }
                    if let negative { try writeBuckets(negative, metric.name, ".negative") }
                } else {
                    for (quantile, value) in quantiles where quantile.isFinite && value.isFinite {
                        metricKey.count = 0
                        JSONText.appendEscaped(base + metric.name.start, count: metric.name.count, into: &metricKey)
                        metricKey.append(".quantile_")
                        JSONText.appendGoDouble(quantile, into: &metricKey)
                        if writer.beginField(escapedKey: metricKey) { writer.doubleValue(value) }
                    }
                }
            }
        }
        writer.append(envelope.scope)
        writer.append(envelope.resource)
        guard let range = closeEvent(start: bodyStart) else {
            rejectItem(bodyStart: bodyStart, recordCount: recordCount, oversized: true)
            return
        }
        // Honeycomb truncates metric timestamps to the second.
        let time = eventTime(timeNanos)
        let truncated = time - time % 1_000_000_000
        batches[currentBatch].records.append(EventRecord(timeUnixNanos: truncated, sampleRate: 1, dataRange: range))
        commitItem(bodyStart: bodyStart, recordCount: recordCount)
    }

    /// Starts the field `<metric name><suffix>`.
    private mutating func valueField(_ name: ProtoSlice, suffix: StaticString) -> Bool {
        metricKey.count = 0
        JSONText.appendEscaped(base + name.start, count: name.count, into: &metricKey)
        metricKey.append(suffix)
        return writer.beginField(escapedKey: metricKey)
    }

    private mutating func writeDouble(_ value: Double?, _ name: ProtoSlice, _ suffix: StaticString) {
        guard let value, value.isFinite else { return }
        if valueField(name, suffix: suffix) { writer.doubleValue(value) }
    }

    /// `[1,0,2]` as a JSON string value.
    private mutating func writeJSONStringOfUInts(_ values: [UInt64]) {
        writer.out.append("\"[")
        for (index, value) in values.enumerated() {
            if index > 0 { writer.out.append(UInt8(ascii: ",")) }
            writer.out.appendUInt(value)
        }
        writer.out.append("]\"")
    }

    /// `[0.005,0.01]` (Go number form) as a JSON string value; non-finite bounds are written as null.
    private mutating func writeJSONStringOfDoubles(_ values: [Double]) {
        writer.out.append("\"[")
        for (index, value) in values.enumerated() {
            if index > 0 { writer.out.append(UInt8(ascii: ",")) }
            if value.isFinite { JSONText.appendGoDouble(value, into: &writer.out) } else { writer.out.append("null") }
        }
        writer.out.append("]\"")
    }

    private mutating func writeBuckets(_ buckets: ProtoSlice, _ name: ProtoSlice, _ prefix: StaticString) throws(ProtoWireError) {
        var offset: Int64 = 0
        bucketCounts.removeAll(keepingCapacity: true)
        var reader = ProtoReader(base: base, slice: buckets)
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            switch tag.field {
            case 1: offset = Int64(Int32(truncatingIfNeeded: Self.zigzagDecode(try reader.varint(tag))))
            case 2: try reader.forEachVarint(tag) { (value) throws(ProtoWireError) in bucketCounts.append(value) }
            default: try reader.skip(tag)
            }
        }
        metricKey.count = 0
        JSONText.appendEscaped(base + name.start, count: name.count, into: &metricKey)
        metricKey.append(prefix)
        let prefixLength = metricKey.count
        metricKey.append(".offset")
        if writer.beginField(escapedKey: metricKey) { writer.intValue(offset) }
        metricKey.count = prefixLength
        metricKey.append(".bucket_counts")
        if writer.beginField(escapedKey: metricKey) { writeJSONStringOfUInts(bucketCounts) }
    }

    private func readQuantile(_ slice: ProtoSlice) throws(ProtoWireError) -> (Double, Double) {
        var quantile = 0.0
        var value = 0.0
        var reader = ProtoReader(base: base, slice: slice)
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            switch tag.field {
            case 1: quantile = try reader.double(tag)
            case 2: value = try reader.double(tag)
            default: try reader.skip(tag)
            }
        }
        return (quantile, value)
    }

    static func zigzagDecode(_ raw: UInt64) -> Int64 {
        Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    static func temporalityName(_ value: UInt64) -> StaticString {
        switch value {
        case 1: "delta"
        case 2: "cumulative"
        default: "unspecified"
        }
    }
}
