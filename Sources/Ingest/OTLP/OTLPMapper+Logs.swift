import EventModel
/// Log records → events (husky `logs.go`).
extension OTLPMapper {
    /// Precedence as in husky's map-based translator, where later writes win: log attributes over
    /// scope over resource over the record's own fields (so an attribute named `body` replaces the body).
    mutating func mapLogRecord(_ record: ProtoSlice, envelope: Envelope) throws(ProtoWireError) {
        let bodyStart = writer.out.count
        let recordCount = batches[currentBatch].records.count
        var capture = AttributeCapture(takesSampleRate: true)
        var timeNanos: UInt64 = 0
        var observedNanos: UInt64 = 0
        var severity: Int64 = 0
        var severityText = ProtoSlice.empty
        var body: ProtoSlice?
        var flags: UInt32 = 0
        var traceID = ProtoSlice.empty
        var spanID = ProtoSlice.empty
        var eventName = ProtoSlice.empty
        writer.beginObject()
        var reader = ProtoReader(base: base, slice: record)
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            switch tag.field {
            case 1: timeNanos = try reader.fixed64(tag)
            case 2: severity = Int64(Int32(truncatingIfNeeded: try reader.varint(tag)))
            case 3: severityText = try reader.slice(tag)
            case 5: body = try reader.slice(tag)
            case 6: try renderer.renderKeyValue(try reader.slice(tag), into: &writer, capture: &capture)
            case 7: _ = try reader.varint(tag)
            case 8: flags = try reader.fixed32(tag)
            case 9: traceID = try reader.slice(tag)
            case 10: spanID = try reader.slice(tag)
            case 11: observedNanos = try reader.fixed64(tag)
            case 12: eventName = try reader.slice(tag)
            default: try reader.skip(tag)
            }
        }
        writer.append(envelope.scope)
        writer.append(envelope.resource)
        writer.field("severity", literal: Self.severityName(severity))
        writer.field("severity_code", int: severity)
        writer.field("meta.signal_type", literal: "log")
        writer.field("flags", int: Int64(flags))
        if !traceID.isEmpty {
            if writer.beginField("trace.trace_id") { traceIDValue(traceID) }
            writer.field("meta.annotation_type", literal: "span_event")
        }
        if !spanID.isEmpty, writer.beginField("trace.parent_id") { writer.hexValue(base + spanID.start, count: spanID.count) }
        if !severityText.isEmpty { writer.field("severity_text", string: base + severityText.start, count: severityText.count) }
        if !eventName.isEmpty { writer.field("event.name", string: base + eventName.start, count: eventName.count) }
        if let body { try renderer.renderLogBody(body, into: &writer) }
        guard let range = closeEvent(start: bodyStart) else {
            rejectItem(bodyStart: bodyStart, recordCount: recordCount, oversized: true)
            return
        }
        let sampleRate = capture.sampleRate ?? envelope.scopeSampleRate ?? envelope.resourceSampleRate ?? 1
        // husky uses time_unix_nano only; the proto says to fall back to the observed time, and a log
        // with neither gets the receive time (instead of husky's 1970).
        let time = eventTime(timeNanos != 0 ? timeNanos : observedNanos)
        batches[currentBatch].records.append(EventRecord(timeUnixNanos: time, sampleRate: Int(sampleRate), dataRange: range))
        commitItem(bodyStart: bodyStart, recordCount: recordCount)
    }

    static func severityName(_ number: Int64) -> StaticString {
        switch number {
        case 1...4: "trace"
        case 5...8: "debug"
        case 9...12: "info"
        case 13...16: "warn"
        case 17...20: "error"
        case 21...24: "fatal"
        default: "unspecified"
        }
    }
}
