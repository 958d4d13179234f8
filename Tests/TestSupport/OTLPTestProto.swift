/// A tiny protobuf writer for building OTLP requests in tests (independent of the decoder's code).
public struct OTLPTestProto {
    public var bytes: [UInt8] = []

    public init() {}

    public static func varint(_ value: UInt64) -> [UInt8] {
        var value = value
        var out: [UInt8] = []
        while value >= 0x80 {
            out.append(UInt8(value & 0x7f) | 0x80)
            value >>= 7
        }
        out.append(UInt8(value))
        return out
    }

    public mutating func tag(_ field: UInt32, _ wire: UInt8) { bytes += Self.varint(UInt64(field) << 3 | UInt64(wire)) }

    public mutating func varint(_ field: UInt32, _ value: UInt64) {
        tag(field, 0)
        bytes += Self.varint(value)
    }

    public mutating func fixed64(_ field: UInt32, _ value: UInt64) {
        tag(field, 1)
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }

    public mutating func double(_ field: UInt32, _ value: Double) { fixed64(field, value.bitPattern) }

    public mutating func fixed32(_ field: UInt32, _ value: UInt32) {
        tag(field, 5)
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }

    public mutating func bytes(_ field: UInt32, _ value: [UInt8]) {
        tag(field, 2)
        bytes += Self.varint(UInt64(value.count))
        bytes += value
    }

    public mutating func string(_ field: UInt32, _ value: String) { bytes(field, Array(value.utf8)) }

    public mutating func message(_ field: UInt32, _ build: (inout OTLPTestProto) -> Void) {
        var inner = OTLPTestProto()
        build(&inner)
        bytes(field, inner.bytes)
    }

    // MARK: OTLP helpers

    public enum Value {
        case string(String), bool(Bool), int(Int64), double(Double), bytes([UInt8])
        case array([Value]), kvlist([(String, Value)]), empty
    }

    public static func anyValue(_ value: Value) -> [UInt8] {
        var proto = OTLPTestProto()
        switch value {
        case .string(let text): proto.string(1, text)
        case .bool(let flag): proto.varint(2, flag ? 1 : 0)
        case .int(let number): proto.varint(3, UInt64(bitPattern: number))
        case .double(let number): proto.double(4, number)
        case .bytes(let data): proto.bytes(7, data)
        case .array(let items): proto.message(5) { array in for item in items { array.bytes(1, anyValue(item)) } }
        case .kvlist(let entries): proto.message(6) { list in for (key, item) in entries { list.bytes(1, keyValue(key, item)) } }
        case .empty: break
        }
        return proto.bytes
    }

    public static func keyValue(_ key: String, _ value: Value) -> [UInt8] {
        var proto = OTLPTestProto()
        proto.string(1, key)
        proto.bytes(2, anyValue(value))
        return proto.bytes
    }

    public mutating func attribute(_ field: UInt32, _ key: String, _ value: Value) { bytes(field, Self.keyValue(key, value)) }

    /// `Resource{attributes}` as field `field`.
    public mutating func resource(_ attributes: [(String, Value)], field: UInt32 = 1) {
        message(field) { resource in for (key, value) in attributes { resource.attribute(1, key, value) } }
    }

    /// A span with the usual fields.
    public static func span(
        traceID: [UInt8] = Array(repeating: 0xab, count: 16), spanID: [UInt8] = Array(repeating: 0xcd, count: 8),
        parentID: [UInt8]? = nil, name: String = "span", kind: UInt64 = 2, start: UInt64 = 1_700_000_000_000_000_000,
        end: UInt64 = 1_700_000_000_001_500_000, attributes: [(String, Value)] = [], statusCode: UInt64? = nil,
        traceState: String? = nil, extra: (inout OTLPTestProto) -> Void = { _ in }
    ) -> [UInt8] {
        var span = OTLPTestProto()
        span.bytes(1, traceID)
        span.bytes(2, spanID)
        if let traceState { span.string(3, traceState) }
        if let parentID { span.bytes(4, parentID) }
        span.string(5, name)
        span.varint(6, kind)
        span.fixed64(7, start)
        span.fixed64(8, end)
        for (key, value) in attributes { span.attribute(9, key, value) }
        if let statusCode { span.message(15) { status in status.varint(3, statusCode) } }
        extra(&span)
        return span.bytes
    }

    /// ExportTraceServiceRequest with one ResourceSpans per entry, each with one scope.
    public static func traceRequest(_ resources: [(attributes: [(String, Value)], spans: [[UInt8]])]) -> [UInt8] {
        var request = OTLPTestProto()
        for resource in resources {
            request.message(1) { resourceSpans in
                resourceSpans.resource(resource.attributes)
                resourceSpans.message(2) { scopeSpans in
                    scopeSpans.message(1) { scope in
                        scope.string(1, "test.scope")
                        scope.string(2, "1.0")
                    }
                    for span in resource.spans { scopeSpans.bytes(2, span) }
                }
            }
        }
        return request.bytes
    }
}
