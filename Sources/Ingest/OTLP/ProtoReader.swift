/// A byte range of the request body (start inclusive, end exclusive); sub-messages are read in place.
struct ProtoSlice {
    var start: Int
    var end: Int
    var count: Int { end - start }
    var isEmpty: Bool { start == end }
    static let empty = ProtoSlice(start: 0, end: 0)
}

/// A field key: field number and wire type.
struct ProtoTag {
    var field: UInt32
    var wireType: UInt8
}

/// Any malformation of the protobuf wire data; becomes ``OTLPError/malformed``.
struct ProtoWireError: Error {}

/// A streaming reader over protobuf wire data: varints, fixed64, fixed32 and length-delimited fields,
/// bounds-checked against the message's own end. Nothing is copied; strings and sub-messages come back
/// as ``ProtoSlice``s of the body. Groups (wire types 3 and 4, unused by OTLP) are malformations.
struct ProtoReader {
    let base: UnsafePointer<UInt8>
    private(set) var offset: Int
    let end: Int

    static let wireVarint: UInt8 = 0
    static let wireFixed64: UInt8 = 1
    static let wireLengthDelimited: UInt8 = 2
    static let wireFixed32: UInt8 = 5
    static let maxVarintBytes = 10

    init(base: UnsafePointer<UInt8>, slice: ProtoSlice) {
        self.base = base
        offset = slice.start
        end = slice.end
    }

    var isAtEnd: Bool { offset >= end }

    @inline(__always)
    mutating func readTag() throws(ProtoWireError) -> ProtoTag {
        let key = try readVarint()
        let field = key >> 3
        guard field != 0, field <= UInt64(UInt32.max >> 3) else { throw ProtoWireError() }
        return ProtoTag(field: UInt32(field), wireType: UInt8(key & 7))
    }

    @inline(__always)
    mutating func readVarint() throws(ProtoWireError) -> UInt64 {
        if offset < end, base[offset] < 0x80 {
            let value = UInt64(base[offset])
            offset += 1
            return value
        }
        return try readVarintSlow()
    }

    private mutating func readVarintSlow() throws(ProtoWireError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        for index in 0..<Self.maxVarintBytes {
            guard offset < end else { throw ProtoWireError() }
            let byte = base[offset]
            offset += 1
            // The tenth byte may only carry the top bit of a 64-bit value.
            if index == Self.maxVarintBytes - 1 && byte > 1 { throw ProtoWireError() }
            result |= UInt64(byte & 0x7f) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
        throw ProtoWireError()
    }

    @inline(__always)
    mutating func readFixed64() throws(ProtoWireError) -> UInt64 {
        guard end - offset >= 8 else { throw ProtoWireError() }
        let value = UnsafeRawPointer(base + offset).loadUnaligned(as: UInt64.self)
        offset += 8
        return UInt64(littleEndian: value)
    }

    @inline(__always)
    mutating func readFixed32() throws(ProtoWireError) -> UInt32 {
        guard end - offset >= 4 else { throw ProtoWireError() }
        let value = UnsafeRawPointer(base + offset).loadUnaligned(as: UInt32.self)
        offset += 4
        return UInt32(littleEndian: value)
    }

    @inline(__always)
    mutating func readLengthDelimited() throws(ProtoWireError) -> ProtoSlice {
        let length = try readVarint()
        guard length <= UInt64(end - offset) else { throw ProtoWireError() }
        let start = offset
        offset += Int(length)
        return ProtoSlice(start: start, end: offset)
    }

    // MARK: typed field reads: the tag's wire type must match the field's declared type.

    @inline(__always)
    mutating func slice(_ tag: ProtoTag) throws(ProtoWireError) -> ProtoSlice {
        guard tag.wireType == Self.wireLengthDelimited else { throw ProtoWireError() }
        return try readLengthDelimited()
    }

    @inline(__always)
    mutating func varint(_ tag: ProtoTag) throws(ProtoWireError) -> UInt64 {
        guard tag.wireType == Self.wireVarint else { throw ProtoWireError() }
        return try readVarint()
    }

    @inline(__always)
    mutating func fixed64(_ tag: ProtoTag) throws(ProtoWireError) -> UInt64 {
        guard tag.wireType == Self.wireFixed64 else { throw ProtoWireError() }
        return try readFixed64()
    }

    @inline(__always)
    mutating func fixed32(_ tag: ProtoTag) throws(ProtoWireError) -> UInt32 {
        guard tag.wireType == Self.wireFixed32 else { throw ProtoWireError() }
        return try readFixed32()
    }

    mutating func double(_ tag: ProtoTag) throws(ProtoWireError) -> Double {
        Double(bitPattern: try fixed64(tag))
    }

    /// Skips a field of an unknown number (the spec requires tolerating them).
    mutating func skip(_ tag: ProtoTag) throws(ProtoWireError) {
        switch tag.wireType {
        case Self.wireVarint: _ = try readVarint()
        case Self.wireFixed64:
            guard end - offset >= 8 else { throw ProtoWireError() }
            offset += 8
        case Self.wireLengthDelimited: _ = try readLengthDelimited()
        case Self.wireFixed32:
            guard end - offset >= 4 else { throw ProtoWireError() }
            offset += 4
        default: throw ProtoWireError()
        }
    }

    /// Each element of a repeated fixed64/double field, packed (wire type 2) or not (wire type 1).
    mutating func forEachFixed64(
        _ tag: ProtoTag, _ body: (UInt64) throws(ProtoWireError) -> Void
    ) throws(ProtoWireError) {
        if tag.wireType == Self.wireFixed64 {
            try body(try readFixed64())
            return
        }
        let packed = try slice(tag)
        guard packed.count % 8 == 0 else { throw ProtoWireError() }
        var inner = ProtoReader(base: base, slice: packed)
        while !inner.isAtEnd { try body(try inner.readFixed64()) }
    }

    /// Each element of a repeated varint field, packed (wire type 2) or not (wire type 0).
    mutating func forEachVarint(
        _ tag: ProtoTag, _ body: (UInt64) throws(ProtoWireError) -> Void
    ) throws(ProtoWireError) {
        if tag.wireType == Self.wireVarint {
            try body(try readVarint())
            return
        }
        let packed = try slice(tag)
        var inner = ProtoReader(base: base, slice: packed)
        while !inner.isAtEnd { try body(try inner.readVarint()) }
    }
}
