/// Splits a protobuf message into (field number, wire type, value) records, for field-by-field checks.
struct TestProtobuf {
    enum Value: Equatable {
        case varint(UInt64)
        case fixed64(UInt64)
        case bytes([UInt8])
        case fixed32(UInt32)
    }

    struct DecodeError: Error { let offset: Int }

    let fields: [(Int, Value)]

    init(_ bytes: [UInt8]) throws {
        var offset = 0
        var fields: [(Int, Value)] = []
        func varint() throws -> UInt64 {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard offset < bytes.count, shift < 64 else { throw DecodeError(offset: offset) }
                let byte = bytes[offset]
                offset += 1
                result |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return result }
                shift += 7
            }
        }
        func little(_ count: Int) throws -> UInt64 {
            guard offset + count <= bytes.count else { throw DecodeError(offset: offset) }
            var value: UInt64 = 0
            for index in 0..<count { value |= UInt64(bytes[offset + index]) << (8 * UInt64(index)) }
            offset += count
            return value
        }
        while offset < bytes.count {
            let tag = try varint()
            let field = Int(tag >> 3)
            switch tag & 7 {
            case 0: fields.append((field, .varint(try varint())))
            case 1: fields.append((field, .fixed64(try little(8))))
            case 2:
                let length = Int(try varint())
                guard offset + length <= bytes.count else { throw DecodeError(offset: offset) }
                fields.append((field, .bytes(Array(bytes[offset..<(offset + length)]))))
                offset += length
            case 5: fields.append((field, .fixed32(UInt32(try little(4)))))
            default: throw DecodeError(offset: offset)
            }
        }
        self.fields = fields
    }

    func all(_ field: Int) -> [Value] { fields.filter { $0.0 == field }.map(\.1) }

    func message(_ field: Int) throws -> TestProtobuf? {
        guard case .bytes(let bytes)? = all(field).first else { return nil }
        return try TestProtobuf(bytes)
    }

    func messages(_ field: Int) throws -> [TestProtobuf] {
        try all(field).compactMap { if case .bytes(let bytes) = $0 { return try TestProtobuf(bytes) } else { return nil } }
    }

    func string(_ field: Int) -> String? {
        guard case .bytes(let bytes)? = all(field).first else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    func bytes(_ field: Int) -> [UInt8]? {
        guard case .bytes(let bytes)? = all(field).first else { return nil }
        return bytes
    }
}
