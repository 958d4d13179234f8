/// Encodes generated events as an OTLP `ExportTraceServiceRequest` (one span per event), with field
/// numbers from opentelemetry/proto trace/v1 and common/v1.
public enum OTLPTraceEncoder {
    /// Fields consumed by the span itself rather than copied into its attributes.
    static let spanFields: Set<String> = [
        "trace.trace_id", "trace.span_id", "trace.parent_id", "name", "service.name", "duration_ms", "error",
    ]

    public static func encode(
        _ events: [GeneratedEvent], serviceName: String, idDigitOffsets: inout [Int]
    ) -> [UInt8] {
        var scope = ProtobufWriter()
        var scopeOffsets: [Int] = []
        var instrumentation = ProtobufWriter()
        instrumentation.appendStringField(1, "kelpie-load")  // InstrumentationScope.name
        instrumentation.appendStringField(2, "1")  // InstrumentationScope.version
        scope.appendMessage(1, instrumentation)  // ScopeSpans.scope
        for event in events {
            var spanOffsets: [Int] = []
            let span = encodeSpan(event, offsets: &spanOffsets)
            scope.appendMessage(2, span, innerOffsets: spanOffsets, offsets: &scopeOffsets)  // ScopeSpans.spans
        }

        var resource = ProtobufWriter()
        var ignored: [Int] = []
        resource.appendMessage(1, keyValue("service.name", .string(serviceName), offsets: &ignored))

        var resourceSpans = ProtobufWriter()
        resourceSpans.appendMessage(1, resource)  // ResourceSpans.resource
        var resourceOffsets: [Int] = []
        resourceSpans.appendMessage(2, scope, innerOffsets: scopeOffsets, offsets: &resourceOffsets)

        var request = ProtobufWriter()
        request.appendMessage(1, resourceSpans, innerOffsets: resourceOffsets, offsets: &idDigitOffsets)
        return request.bytes
    }

    static func encodeSpan(_ event: GeneratedEvent, offsets: inout [Int]) -> ProtobufWriter {
        var span = ProtobufWriter()
        let lookup = Dictionary(event.fields, uniquingKeysWith: { first, _ in first })
        span.appendBytesField(1, hexBytes(lookup["trace.trace_id"], count: 16))  // trace_id
        span.appendBytesField(2, hexBytes(lookup["trace.span_id"], count: 8))  // span_id
        if case .string = lookup["trace.parent_id"] {
            span.appendBytesField(4, hexBytes(lookup["trace.parent_id"], count: 8))  // parent_span_id
        }
        if case .string(let name) = lookup["name"] { span.appendStringField(5, name) }  // name
        span.appendVarintField(6, 2)  // kind = SPAN_KIND_SERVER
        var durationNanos: Int64 = 1_000_000
        if case .double(let millis) = lookup["duration_ms"] { durationNanos = Int64(millis * 1_000_000) }
        span.appendFixed64Field(7, UInt64(max(0, event.timeUnixNanos - durationNanos)))  // start_time_unix_nano
        span.appendFixed64Field(8, UInt64(max(0, event.timeUnixNanos)))  // end_time_unix_nano
        for (key, value) in event.fields where !spanFields.contains(key) {
            var inner: [Int] = []
            let attribute = keyValue(key, value, offsets: &inner)
            span.appendMessage(9, attribute, innerOffsets: inner, offsets: &offsets)  // attributes
        }
        var status = ProtobufWriter()
        if case .bool(true) = lookup["error"] { status.appendVarintField(3, 2) }  // code = ERROR
        span.appendMessage(15, status)  // status
        return span
    }

    /// `KeyValue{1: key, 2: AnyValue}`; the verify id's digit offset is recorded when `key` is the id field.
    static func keyValue(_ key: String, _ value: FieldValue, offsets: inout [Int]) -> ProtobufWriter {
        var pair = ProtobufWriter()
        pair.appendStringField(1, key)
        let any = anyValue(value)
        if key == EventGenerator.verifyFieldName, case .string = value {
            pair.appendMessage(
                2, any, innerOffsets: [any.count - EventGenerator.verifySequenceDigits], offsets: &offsets)
        } else {
            pair.appendMessage(2, any)
        }
        return pair
    }

    static func anyValue(_ value: FieldValue) -> ProtobufWriter {
        var any = ProtobufWriter()
        switch value {
        case .string(let text): any.appendStringField(1, text)
        case .bool(let flag): any.appendBoolField(2, flag)
        case .int(let number): any.appendInt64Field(3, number)
        case .double(let number): any.appendDoubleField(4, number)
        case .object(let fields):
            var list = ProtobufWriter()
            var ignored: [Int] = []
            for (key, inner) in fields { list.appendMessage(1, keyValue(key, inner, offsets: &ignored)) }
            any.appendMessage(6, list)  // kvlist_value
        }
        return any
    }

    static func hexBytes(_ value: FieldValue?, count: Int) -> [UInt8] {
        guard case .string(let text) = value else { return [UInt8](repeating: 1, count: count) }
        var out: [UInt8] = []
        var high: UInt8? = nil
        for char in text.utf8 {
            let nibble: UInt8
            switch char {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = char - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = char - UInt8(ascii: "a") + 10
            default: continue
            }
            if let h = high { out.append(h << 4 | nibble); high = nil } else { high = nibble }
        }
        if out.count < count { out += [UInt8](repeating: 1, count: count - out.count) }
        return Array(out.prefix(count))
    }
}
