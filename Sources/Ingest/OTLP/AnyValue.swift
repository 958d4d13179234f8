/// One decoded `AnyValue` oneof (scalars read, containers left as slices of the body).
enum AnyValue {
    case none
    case string(ProtoSlice)
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case array(ProtoSlice)
    case kvlist(ProtoSlice)
    case bytes(ProtoSlice)

    /// Reads an `AnyValue` message; when several oneof fields appear the last wins (protobuf rules).
    /// `string_value_strindex` (profiles only) and unknown fields are skipped.
    static func read(_ slice: ProtoSlice, base: UnsafePointer<UInt8>) throws(ProtoWireError) -> AnyValue {
        var reader = ProtoReader(base: base, slice: slice)
        var value = AnyValue.none
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            switch tag.field {
            case 1: value = .string(try reader.slice(tag))
            case 2: value = .bool(try reader.varint(tag) != 0)
            case 3: value = .int(Int64(bitPattern: try reader.varint(tag)))
            case 4: value = .double(try reader.double(tag))
            case 5: value = .array(try reader.slice(tag))
            case 6: value = .kvlist(try reader.slice(tag))
            case 7: value = .bytes(try reader.slice(tag))
            default: try reader.skip(tag)
            }
        }
        return value
    }
}

/// Key and value slices of a `KeyValue` message (last occurrence of each wins); `value` is nil when absent.
struct KeyValueSlices {
    var key: ProtoSlice
    var value: ProtoSlice?

    static func read(_ slice: ProtoSlice, base: UnsafePointer<UInt8>) throws(ProtoWireError) -> KeyValueSlices {
        var reader = ProtoReader(base: base, slice: slice)
        var result = KeyValueSlices(key: .empty, value: nil)
        while !reader.isAtEnd {
            let tag = try reader.readTag()
            switch tag.field {
            case 1: result.key = try reader.slice(tag)
            case 2: result.value = try reader.slice(tag)
            default: try reader.skip(tag)
            }
        }
        return result
    }
}
