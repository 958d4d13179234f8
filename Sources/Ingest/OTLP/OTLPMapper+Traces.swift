import EventModel
/// Spans → events (husky `traces_direct.go`): each span's events and links become their own events,
/// written right before the span.
extension OTLPMapper {
    /// What a span contributes to its own event and to its span events and links.
    struct SpanSummary {
        var traceID = ProtoSlice.empty
        var spanID = ProtoSlice.empty
        var parentID = ProtoSlice.empty
        var traceState = ProtoSlice.empty
        var name = ProtoSlice.empty
        var kind: UInt64 = 0
        var startNanos: UInt64 = 0
        var endNanos: UInt64 = 0
        var statusCode: Int64 = 0
        var statusMessage = ProtoSlice.empty
        var eventCount = 0
        var linkCount = 0
        var isError: Bool { statusCode == 2 }
    }

    struct Envelope {
        var resource: AttributeFragment
        var resourceSampleRate: Int32?
        var scope: AttributeFragment
        var scopeSampleRate: Int32?
    }

    mutating func mapSpan(_ span: ProtoSlice, envelope: Envelope) throws(ProtoWireError) {
        let bodyStart = writer.out.count
        let recordCount = batches[currentBatch].records.count
        var summary = SpanSummary()
        var capture = AttributeCapture(takesSampleRate: true)
        writer.beginObject()
        var reader = ProtoReader(base: base, slice: span)
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            switch tag.field {
            case 1: summary.traceID = try reader.slice(tag)
            case 2: summary.spanID = try reader.slice(tag)
            case 3: summary.traceState = try reader.slice(tag)
            case 4: summary.parentID = try reader.slice(tag)
            case 5: summary.name = try reader.slice(tag)
            case 6: summary.kind = try reader.varint(tag)
            case 7: summary.startNanos = try reader.fixed64(tag)
            case 8: summary.endNanos = try reader.fixed64(tag)
            case 9: try renderer.renderKeyValue(try reader.slice(tag), into: &writer, capture: &capture)
            case 10, 12, 14: _ = try reader.varint(tag)
            case 11:
                _ = try reader.slice(tag)
                summary.eventCount += 1
            case 13:
                _ = try reader.slice(tag)
                summary.linkCount += 1
            case 15: try readStatus(try reader.slice(tag), into: &summary)
            case 16: _ = try reader.fixed32(tag)
            default: try reader.skip(tag)
            }
        }
        writeCommonFields(summary, annotationType: nil)
        writer.field("name", string: base + summary.name.start, count: summary.name.count)
        if writer.beginField("trace.span_id") { writer.hexValue(base + summary.spanID.start, count: summary.spanID.count) }
        if !summary.traceState.isEmpty {
            writer.field("trace.trace_state", string: base + summary.traceState.start, count: summary.traceState.count)
        }
        writer.field("status_code", int: summary.statusCode)
        if !summary.statusMessage.isEmpty {
            writer.field("status_message", string: base + summary.statusMessage.start, count: summary.statusMessage.count)
        }
        writer.field("span.num_events", int: Int64(summary.eventCount))
        writer.field("span.num_links", int: Int64(summary.linkCount))
        let kind = Self.spanKindName(summary.kind)
        writer.field("span.kind", literal: kind)
        writer.field("type", literal: kind)
        var duration = 0.0
        var invalidDuration = false
        if summary.startNanos > 0 && summary.endNanos > 0 {
            if summary.endNanos >= summary.startNanos {
                duration = Double(summary.endNanos - summary.startNanos) / 1_000_000
            } else {
                invalidDuration = true
            }
        }
        writer.field("duration_ms", double: duration)
        if invalidDuration { writer.field("meta.invalid_duration", bool: true) }
        writer.append(envelope.scope)
        writer.append(envelope.resource)
        if summary.eventCount > 0 { try promoteFirstException(of: span) }
        guard let spanRange = closeEvent(start: bodyStart) else {
            rejectItem(bodyStart: bodyStart, recordCount: recordCount, oversized: true)
            return
        }

        var sampleRate = capture.sampleRate ?? envelope.scopeSampleRate ?? envelope.resourceSampleRate
        if sampleRate == nil, !summary.traceState.isEmpty {
            sampleRate = TraceStateSampling.sampleRate(traceState: base + summary.traceState.start, count: summary.traceState.count)
        }
        let rate = Int(sampleRate ?? 1)
        let spanTime = eventTime(summary.startNanos)

        // All span events, then all links, whatever their order on the wire (husky).
        for annotationField: UInt32 in [11, 13] where (annotationField == 11 ? summary.eventCount : summary.linkCount) > 0 {
            var annotations = ProtoReader(base: base, slice: span)
            while !annotations.isAtEnd {
                let tag = try annotations.readTag()
                guard tag.field == annotationField else {
                    try annotations.skip(tag)
                    continue
                }
                let annotation = try annotations.slice(tag)
                let mapped: (Range<Int>, Int64)?
                if annotationField == 11 {
                    mapped = try mapSpanEvent(annotation, of: summary, envelope: envelope)
                } else {
                    mapped = try mapSpanLink(annotation, of: summary, envelope: envelope).map { ($0, spanTime) }
                }
                guard let (range, time) = mapped else {
                    rejectItem(bodyStart: bodyStart, recordCount: recordCount, oversized: true)
                    return
                }
                batches[currentBatch].records.append(EventRecord(timeUnixNanos: time, sampleRate: rate, dataRange: range))
            }
        }
        batches[currentBatch].records.append(EventRecord(timeUnixNanos: spanTime, sampleRate: rate, dataRange: spanRange))
        commitItem(bodyStart: bodyStart, recordCount: recordCount)
    }

    private func readStatus(_ slice: ProtoSlice, into summary: inout SpanSummary) throws(ProtoWireError) {
        var reader = ProtoReader(base: base, slice: slice)
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            switch tag.field {
            case 2: summary.statusMessage = try reader.slice(tag)
            case 3: summary.statusCode = Int64(Int32(truncatingIfNeeded: try reader.varint(tag)))
            default: try reader.skip(tag)
            }
        }
    }

    /// Fields every trace event carries (husky `commonFields`).
    private mutating func writeCommonFields(_ summary: SpanSummary, annotationType: StaticString?) {
        if writer.beginField("trace.trace_id") { traceIDValue(summary.traceID) }
        if annotationType == nil {
            if !summary.parentID.isEmpty, writer.beginField("trace.parent_id") {
                writer.hexValue(base + summary.parentID.start, count: summary.parentID.count)
            }
        } else {
            // Span events and links point at their span.
            if !summary.spanID.isEmpty, writer.beginField("trace.parent_id") {
                writer.hexValue(base + summary.spanID.start, count: summary.spanID.count)
            }
            if !summary.name.isEmpty {
                writer.field("parent_name", string: base + summary.name.start, count: summary.name.count)
            }
            writer.field("meta.annotation_type", literal: annotationType!)
        }
        writer.field("meta.signal_type", literal: "trace")
        if summary.isError { writer.field("error", bool: true) }
    }

    /// The first `exception` span event's `exception.message/type/stacktrace` (strings) and
    /// `exception.escaped` (bool) go onto the span where it lacks them (lowest precedence).
    private mutating func promoteFirstException(of span: ProtoSlice) throws(ProtoWireError) {
        var reader = ProtoReader(base: base, slice: span)
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            guard tag.field == 11 else {
                try reader.skip(tag)
                continue
            }
            let event = try reader.slice(tag)
            var name = ProtoSlice.empty
            var eventReader = ProtoReader(base: base, slice: event)
            while !eventReader.isAtEnd {
                let eventTag = try eventReader.readTag()
                if eventTag.field == 2 { name = try eventReader.slice(eventTag) } else { try eventReader.skip(eventTag) }
            }
            guard renderer.equals(name, "exception") else { continue }
            eventReader = ProtoReader(base: base, slice: event)
            while !eventReader.isAtEnd {
                let eventTag = try eventReader.readTag()
                guard eventTag.field == 3 else {
                    try eventReader.skip(eventTag)
                    continue
                }
                let attribute = try KeyValueSlices.read(try eventReader.slice(eventTag), base: base)
                guard let valueSlice = attribute.value, !valueSlice.isEmpty else { continue }
                let value = try AnyValue.read(valueSlice, base: base)
                switch value {
                case .string(let text):
                    for key in Self.promotedExceptionStringKeys where renderer.equals(attribute.key, key) {
                        writer.field(key, string: base + text.start, count: text.count)
                    }
                case .bool(let flag):
                    if renderer.equals(attribute.key, "exception.escaped") { writer.field("exception.escaped", bool: flag) }
                default:
                    break
                }
            }
            return
        }
    }

    static let promotedExceptionStringKeys: [StaticString] = ["exception.message", "exception.type", "exception.stacktrace"]

    /// One span event → its own event; nil when too big.
    private mutating func mapSpanEvent(
        _ event: ProtoSlice, of span: SpanSummary, envelope: Envelope
    ) throws(ProtoWireError) -> (Range<Int>, Int64)? {
        let start = writer.out.count
        var capture = AttributeCapture(takesSampleRate: true)  // a rate here is dropped: the span's rate rules
        var timeNanos: UInt64 = 0
        var name = ProtoSlice.empty
        writer.beginObject()
        var reader = ProtoReader(base: base, slice: event)
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            switch tag.field {
            case 1: timeNanos = try reader.fixed64(tag)
            case 2: name = try reader.slice(tag)
            case 3: try renderer.renderKeyValue(try reader.slice(tag), into: &writer, capture: &capture)
            case 4: _ = try reader.varint(tag)
            default: try reader.skip(tag)
            }
        }
        writeCommonFields(span, annotationType: "span_event")
        writer.field("name", string: base + name.start, count: name.count)
        var sinceStart = 0.0
        var invalid = false
        if timeNanos > 0 && span.startNanos > 0 {
            if timeNanos >= span.startNanos {
                sinceStart = Double(timeNanos - span.startNanos) / 1_000_000
            } else {
                invalid = true
            }
        }
        writer.field("meta.time_since_span_start_ms", double: sinceStart)
        if invalid { writer.field("meta.invalid_time_since_span_start", bool: true) }
        writer.append(envelope.scope)
        writer.append(envelope.resource)
        guard let range = closeEvent(start: start) else { return nil }
        return (range, eventTime(timeNanos))
    }

    /// One link → its own event; nil when too big.
    private mutating func mapSpanLink(
        _ link: ProtoSlice, of span: SpanSummary, envelope: Envelope
    ) throws(ProtoWireError) -> Range<Int>? {
        let start = writer.out.count
        var capture = AttributeCapture(takesSampleRate: true)
        var linkedTraceID = ProtoSlice.empty
        var linkedSpanID = ProtoSlice.empty
        writer.beginObject()
        var reader = ProtoReader(base: base, slice: link)
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            switch tag.field {
            case 1: linkedTraceID = try reader.slice(tag)
            case 2: linkedSpanID = try reader.slice(tag)
            case 3: _ = try reader.slice(tag)  // trace_state: husky leaves it out
            case 4: try renderer.renderKeyValue(try reader.slice(tag), into: &writer, capture: &capture)
            case 5: _ = try reader.varint(tag)
            case 6: _ = try reader.fixed32(tag)
            default: try reader.skip(tag)
            }
        }
        writeCommonFields(span, annotationType: "link")
        if !linkedTraceID.isEmpty, writer.beginField("trace.link.trace_id") { traceIDValue(linkedTraceID) }
        if !linkedSpanID.isEmpty, writer.beginField("trace.link.span_id") {
            writer.hexValue(base + linkedSpanID.start, count: linkedSpanID.count)
        }
        writer.append(envelope.scope)
        writer.append(envelope.resource)
        return closeEvent(start: start)
    }

    static func spanKindName(_ kind: UInt64) -> StaticString {
        switch kind {
        case 1: "internal"
        case 2: "server"
        case 3: "client"
        case 4: "producer"
        case 5: "consumer"
        default: "unspecified"
        }
    }
}
