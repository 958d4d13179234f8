/// Hand-built msgpack for tests: every function returns the exact bytes of one value in the named form,
/// so tests choose widths explicitly (independent of the code under test).
enum MP {
    static func bigEndian(_ value: UInt64, _ count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: value >> UInt64((count - 1 - $0) * 8)) }
    }

    static let `nil`: [UInt8] = [0xC0]
    static func bool(_ value: Bool) -> [UInt8] { [value ? 0xC3 : 0xC2] }
    static func fixint(_ value: Int) -> [UInt8] {
        precondition((-32...127).contains(value))
        return [UInt8(bitPattern: Int8(value))]
    }
    static func u8(_ value: UInt8) -> [UInt8] { [0xCC, value] }
    static func u16(_ value: UInt16) -> [UInt8] { [0xCD] + bigEndian(UInt64(value), 2) }
    static func u32(_ value: UInt32) -> [UInt8] { [0xCE] + bigEndian(UInt64(value), 4) }
    static func u64(_ value: UInt64) -> [UInt8] { [0xCF] + bigEndian(value, 8) }
    static func i8(_ value: Int8) -> [UInt8] { [0xD0, UInt8(bitPattern: value)] }
    static func i16(_ value: Int16) -> [UInt8] { [0xD1] + bigEndian(UInt64(UInt16(bitPattern: value)), 2) }
    static func i32(_ value: Int32) -> [UInt8] { [0xD2] + bigEndian(UInt64(UInt32(bitPattern: value)), 4) }
    static func i64(_ value: Int64) -> [UInt8] { [0xD3] + bigEndian(UInt64(bitPattern: value), 8) }
    static func f32(_ value: Float) -> [UInt8] { [0xCA] + bigEndian(UInt64(value.bitPattern), 4) }
    static func f64(_ value: Double) -> [UInt8] { [0xCB] + bigEndian(value.bitPattern, 8) }

    /// The smallest form for an integer.
    static func int(_ value: Int) -> [UInt8] {
        switch value {
        case -32...127: fixint(value)
        case 128...255: u8(UInt8(value))
        case 256...65_535: u16(UInt16(value))
        default: i64(Int64(value))
        }
    }

    static func strBytes(_ bytes: [UInt8]) -> [UInt8] {
        switch bytes.count {
        case 0..<32: [0xA0 | UInt8(bytes.count)] + bytes
        case 32...255: [0xD9, UInt8(bytes.count)] + bytes
        case 256...65_535: [0xDA] + bigEndian(UInt64(bytes.count), 2) + bytes
        default: [0xDB] + bigEndian(UInt64(bytes.count), 4) + bytes
        }
    }
    static func str(_ text: String) -> [UInt8] { strBytes(Array(text.utf8)) }
    static func str8(_ text: String) -> [UInt8] { [0xD9, UInt8(text.utf8.count)] + Array(text.utf8) }
    static func str16(_ text: String) -> [UInt8] { [0xDA] + bigEndian(UInt64(text.utf8.count), 2) + Array(text.utf8) }
    static func str32(_ text: String) -> [UInt8] { [0xDB] + bigEndian(UInt64(text.utf8.count), 4) + Array(text.utf8) }
    static func bin8(_ bytes: [UInt8]) -> [UInt8] { [0xC4, UInt8(bytes.count)] + bytes }
    static func bin16(_ bytes: [UInt8]) -> [UInt8] { [0xC5] + bigEndian(UInt64(bytes.count), 2) + bytes }
    static func bin32(_ bytes: [UInt8]) -> [UInt8] { [0xC6] + bigEndian(UInt64(bytes.count), 4) + bytes }

    static func array(_ items: [[UInt8]]) -> [UInt8] {
        let header: [UInt8] = items.count < 16 ? [0x90 | UInt8(items.count)]
            : items.count <= 65_535 ? [0xDC] + bigEndian(UInt64(items.count), 2)
            : [0xDD] + bigEndian(UInt64(items.count), 4)
        return header + items.flatMap { $0 }
    }
    static func array16(_ items: [[UInt8]]) -> [UInt8] { [0xDC] + bigEndian(UInt64(items.count), 2) + items.flatMap { $0 } }
    static func array32(_ items: [[UInt8]]) -> [UInt8] { [0xDD] + bigEndian(UInt64(items.count), 4) + items.flatMap { $0 } }

    static func map(_ pairs: [([UInt8], [UInt8])]) -> [UInt8] {
        let header: [UInt8] = pairs.count < 16 ? [0x80 | UInt8(pairs.count)]
            : pairs.count <= 65_535 ? [0xDE] + bigEndian(UInt64(pairs.count), 2)
            : [0xDF] + bigEndian(UInt64(pairs.count), 4)
        return header + pairs.flatMap { $0.0 + $0.1 }
    }
    static func map16(_ pairs: [([UInt8], [UInt8])]) -> [UInt8] { [0xDE] + bigEndian(UInt64(pairs.count), 2) + pairs.flatMap { $0.0 + $0.1 } }
    static func map32(_ pairs: [([UInt8], [UInt8])]) -> [UInt8] { [0xDF] + bigEndian(UInt64(pairs.count), 4) + pairs.flatMap { $0.0 + $0.1 } }
    /// A map with string keys.
    static func object(_ fields: [(String, [UInt8])]) -> [UInt8] { map(fields.map { (str($0.0), $0.1) }) }

    static func ext(_ type: Int8, _ payload: [UInt8]) -> [UInt8] {
        let typeByte = UInt8(bitPattern: type)
        switch payload.count {
        case 1: return [0xD4, typeByte] + payload
        case 2: return [0xD5, typeByte] + payload
        case 4: return [0xD6, typeByte] + payload
        case 8: return [0xD7, typeByte] + payload
        case 16: return [0xD8, typeByte] + payload
        case 0...255: return [0xC7, UInt8(payload.count), typeByte] + payload
        case 256...65_535: return [0xC8] + bigEndian(UInt64(payload.count), 2) + [typeByte] + payload
        default: return [0xC9] + bigEndian(UInt64(payload.count), 4) + [typeByte] + payload
        }
    }
    static func timestamp32(_ seconds: UInt32) -> [UInt8] { ext(-1, bigEndian(UInt64(seconds), 4)) }
    static func timestamp64(_ seconds: UInt64, _ nanos: UInt32) -> [UInt8] {
        ext(-1, bigEndian(UInt64(nanos) << 34 | seconds, 8))
    }
    static func timestamp96(_ seconds: Int64, _ nanos: UInt32) -> [UInt8] {
        ext(-1, bigEndian(UInt64(nanos), 4) + bigEndian(UInt64(bitPattern: seconds), 8))
    }
    /// tinylib/msgp's time extension 5: int64 seconds, then uint32 nanoseconds.
    static func msgpTime(_ seconds: Int64, _ nanos: UInt32) -> [UInt8] {
        ext(5, bigEndian(UInt64(bitPattern: seconds), 8) + bigEndian(UInt64(nanos), 4))
    }

    /// Go's zero time.Time as Refinery sends it (timestamp96, seconds −62135596800).
    static let goZeroTime = timestamp96(-62_135_596_800, 0)

    /// One batch element `{"data": data, extra...}`.
    static func event(_ data: [(String, [UInt8])], _ extra: [(String, [UInt8])] = []) -> [UInt8] {
        object([("data", object(data))] + extra)
    }
}

/// A tiny msgpack reader for checking encoder output (only the forms a reply uses).
struct TestMsgPackReader {
    enum Value: Equatable {
        case int(Int64)
        case string(String)
        case array([Value])
        case map([(String, Value)])

        static func == (lhs: Value, rhs: Value) -> Bool {
            switch (lhs, rhs) {
            case (.int(let a), .int(let b)): a == b
            case (.string(let a), .string(let b)): a == b
            case (.array(let a), .array(let b)): a == b
            case (.map(let a), .map(let b)): a.map(\.0) == b.map(\.0) && a.map(\.1) == b.map(\.1)
            default: false
            }
        }
    }

    struct Invalid: Error {}

    let bytes: [UInt8]
    var index = 0

    static func decode(_ bytes: [UInt8]) throws -> Value {
        var reader = TestMsgPackReader(bytes: bytes)
        let value = try reader.value()
        guard reader.index == bytes.count else { throw Invalid() }
        return value
    }

    mutating func take(_ count: Int) throws -> [UInt8] {
        guard index + count <= bytes.count else { throw Invalid() }
        defer { index += count }
        return Array(bytes[index..<index + count])
    }

    mutating func number(_ count: Int) throws -> UInt64 {
        try take(count).reduce(0) { $0 << 8 | UInt64($1) }
    }

    mutating func value() throws -> Value {
        let marker = try take(1)[0]
        switch marker {
        case 0x00...0x7F: return .int(Int64(marker))
        case 0xE0...0xFF: return .int(Int64(Int8(bitPattern: marker)))
        case 0xCC: return .int(Int64(try number(1)))
        case 0xCD: return .int(Int64(try number(2)))
        case 0xCE: return .int(Int64(try number(4)))
        case 0xD3: return .int(Int64(bitPattern: try number(8)))
        case 0xA0...0xBF: return .string(String(decoding: try take(Int(marker & 0x1F)), as: UTF8.self))
        case 0xD9: return .string(String(decoding: try take(Int(try number(1))), as: UTF8.self))
        case 0xDA: return .string(String(decoding: try take(Int(try number(2))), as: UTF8.self))
        case 0x90...0x9F: return .array(try (0..<Int(marker & 0x0F)).map { _ in try value() })
        case 0xDC: return .array(try (0..<Int(try number(2))).map { _ in try value() })
        case 0xDD: return .array(try (0..<Int(try number(4))).map { _ in try value() })
        case 0x80...0x8F:
            return .map(try (0..<Int(marker & 0x0F)).map { _ in
                guard case .string(let key) = try value() else { throw Invalid() }
                return (key, try value())
            })
        default: throw Invalid()
        }
    }
}
