/// A small msgpack decoder for the tests (independent of LoadKit's writer and reply reader).
indirect enum TestMsgPack: Equatable {
    case int(Int64)
    case double(Double)
    case bool(Bool)
    case string(String)
    case array([TestMsgPack])
    case map([(TestMsgPack, TestMsgPack)])
    case ext(type: Int8, data: [UInt8])
    case null

    static func == (lhs: TestMsgPack, rhs: TestMsgPack) -> Bool {
        switch (lhs, rhs) {
        case let (.int(a), .int(b)): return a == b
        case let (.double(a), .double(b)): return a == b
        case let (.bool(a), .bool(b)): return a == b
        case let (.string(a), .string(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.map(a), .map(b)): return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case let (.ext(t1, d1), .ext(t2, d2)): return t1 == t2 && d1 == d2
        case (.null, .null): return true
        default: return false
        }
    }

    struct DecodeError: Error { let offset: Int }

    subscript(key: String) -> TestMsgPack? {
        if case .map(let pairs) = self { return pairs.first { $0.0 == .string(key) }?.1 }
        return nil
    }

    static func decode(_ bytes: [UInt8]) throws -> TestMsgPack {
        var offset = 0
        let value = try decodeValue(bytes, &offset)
        guard offset == bytes.count else { throw DecodeError(offset: offset) }
        return value
    }

    static func take(_ bytes: [UInt8], _ offset: inout Int, _ count: Int) throws -> [UInt8] {
        guard offset + count <= bytes.count else { throw DecodeError(offset: offset) }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    static func big(_ bytes: [UInt8], _ offset: inout Int, _ count: Int) throws -> UInt64 {
        try take(bytes, &offset, count).reduce(0) { $0 << 8 | UInt64($1) }
    }

    static func decodeValue(_ bytes: [UInt8], _ offset: inout Int) throws -> TestMsgPack {
        let lead = try take(bytes, &offset, 1)[0]
        switch lead {
        case 0x00...0x7F: return .int(Int64(lead))
        case 0xE0...0xFF: return .int(Int64(Int8(bitPattern: lead)))
        case 0x80...0x8F: return try map(bytes, &offset, Int(lead & 0x0F))
        case 0x90...0x9F: return try array(bytes, &offset, Int(lead & 0x0F))
        case 0xA0...0xBF: return .string(String(decoding: try take(bytes, &offset, Int(lead & 0x1F)), as: UTF8.self))
        case 0xC0: return .null
        case 0xC2: return .bool(false)
        case 0xC3: return .bool(true)
        case 0xCB: return .double(Double(bitPattern: try big(bytes, &offset, 8)))
        case 0xCC: return .int(Int64(try big(bytes, &offset, 1)))
        case 0xCD: return .int(Int64(try big(bytes, &offset, 2)))
        case 0xCE: return .int(Int64(try big(bytes, &offset, 4)))
        case 0xCF: return .int(Int64(bitPattern: try big(bytes, &offset, 8)))
        case 0xD0: return .int(Int64(Int8(truncatingIfNeeded: try big(bytes, &offset, 1))))
        case 0xD1: return .int(Int64(Int16(truncatingIfNeeded: try big(bytes, &offset, 2))))
        case 0xD2: return .int(Int64(Int32(truncatingIfNeeded: try big(bytes, &offset, 4))))
        case 0xD3: return .int(Int64(bitPattern: try big(bytes, &offset, 8)))
        case 0xD7:
            let type = Int8(bitPattern: try take(bytes, &offset, 1)[0])
            return .ext(type: type, data: try take(bytes, &offset, 8))
        case 0xC7:
            let length = Int(try big(bytes, &offset, 1))
            let type = Int8(bitPattern: try take(bytes, &offset, 1)[0])
            return .ext(type: type, data: try take(bytes, &offset, length))
        case 0xD9: return .string(String(decoding: try take(bytes, &offset, Int(try big(bytes, &offset, 1))), as: UTF8.self))
        case 0xDA: return .string(String(decoding: try take(bytes, &offset, Int(try big(bytes, &offset, 2))), as: UTF8.self))
        case 0xDC: return try array(bytes, &offset, Int(try big(bytes, &offset, 2)))
        case 0xDE: return try map(bytes, &offset, Int(try big(bytes, &offset, 2)))
        default: throw DecodeError(offset: offset - 1)
        }
    }

    static func array(_ bytes: [UInt8], _ offset: inout Int, _ count: Int) throws -> TestMsgPack {
        var items: [TestMsgPack] = []
        for _ in 0..<count { items.append(try decodeValue(bytes, &offset)) }
        return .array(items)
    }

    static func map(_ bytes: [UInt8], _ offset: inout Int, _ count: Int) throws -> TestMsgPack {
        var pairs: [(TestMsgPack, TestMsgPack)] = []
        for _ in 0..<count { pairs.append((try decodeValue(bytes, &offset), try decodeValue(bytes, &offset))) }
        return .map(pairs)
    }
}
