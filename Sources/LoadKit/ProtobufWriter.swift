/// Minimal protobuf wire-format writer: varints, fixed64/fixed32, length-delimited fields.
/// Nested messages are built into their own buffer and appended with `appendMessage`.
public struct ProtobufWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public enum WireType: UInt8, Sendable {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case fixed32 = 5
    }

    public mutating func appendTag(_ field: Int, _ wireType: WireType) {
        appendVarint(UInt64(field) << 3 | UInt64(wireType.rawValue))
    }

    public mutating func appendVarint(_ value: UInt64) {
        var remaining = value
        while remaining >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: remaining) | 0x80)
            remaining >>= 7
        }
        bytes.append(UInt8(remaining))
    }

    public mutating func appendVarintField(_ field: Int, _ value: UInt64) {
        appendTag(field, .varint)
        appendVarint(value)
    }

    /// int64 fields use plain (two's complement) varints; negatives take ten bytes.
    public mutating func appendInt64Field(_ field: Int, _ value: Int64) {
        appendVarintField(field, UInt64(bitPattern: value))
    }

    public mutating func appendBoolField(_ field: Int, _ value: Bool) {
        appendVarintField(field, value ? 1 : 0)
    }

    public mutating func appendFixed64Field(_ field: Int, _ value: UInt64) {
        appendTag(field, .fixed64)
        var little = value.littleEndian
        withUnsafeBytes(of: &little) { bytes.append(contentsOf: $0) }
    }

    public mutating func appendDoubleField(_ field: Int, _ value: Double) {
        appendFixed64Field(field, value.bitPattern)
    }

    public mutating func appendFixed32Field(_ field: Int, _ value: UInt32) {
        appendTag(field, .fixed32)
        var little = value.littleEndian
        withUnsafeBytes(of: &little) { bytes.append(contentsOf: $0) }
    }

    public mutating func appendBytesField(_ field: Int, _ value: [UInt8]) {
        appendTag(field, .lengthDelimited)
        appendVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    public mutating func appendStringField(_ field: Int, _ value: String) {
        appendBytesField(field, Array(value.utf8))
    }

    public mutating func appendMessage(_ field: Int, _ message: ProtobufWriter) {
        appendBytesField(field, message.bytes)
    }

    /// Appends a nested message and carries its recorded offsets over into `offsets`, shifted to this buffer.
    public mutating func appendMessage(
        _ field: Int, _ message: ProtobufWriter, innerOffsets: [Int], offsets: inout [Int]
    ) {
        appendTag(field, .lengthDelimited)
        appendVarint(UInt64(message.bytes.count))
        let start = bytes.count
        bytes.append(contentsOf: message.bytes)
        for offset in innerOffsets { offsets.append(start + offset) }
    }

    /// Current length, used to locate patchable bytes inside nested messages.
    public var count: Int { bytes.count }
}
