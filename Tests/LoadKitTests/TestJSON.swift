/// A strict little JSON parser for the tests, independent of the encoders under test.
indirect enum TestJSON: Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([TestJSON])
    case object([(String, TestJSON)])

    static func == (lhs: TestJSON, rhs: TestJSON) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.number(a), .number(b)): return a == b
        case let (.string(a), .string(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)): return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    struct ParseError: Error { let offset: Int }

    subscript(key: String) -> TestJSON? {
        if case .object(let fields) = self { return fields.first { $0.0 == key }?.1 }
        return nil
    }

    var arrayValue: [TestJSON]? { if case .array(let items) = self { return items } else { return nil } }
    var stringValue: String? { if case .string(let text) = self { return text } else { return nil } }
    var numberValue: Double? { if case .number(let value) = self { return value } else { return nil } }

    static func parse(_ bytes: [UInt8]) throws -> TestJSON {
        var parser = Parser(bytes: bytes)
        let value = try parser.value()
        parser.skipSpace()
        guard parser.index == bytes.count else { throw ParseError(offset: parser.index) }
        return value
    }

    struct Parser {
        let bytes: [UInt8]
        var index = 0

        mutating func skipSpace() {
            while index < bytes.count && [32, 9, 10, 13].contains(bytes[index]) { index += 1 }
        }

        mutating func expect(_ text: String) throws {
            for byte in text.utf8 {
                guard index < bytes.count, bytes[index] == byte else { throw ParseError(offset: index) }
                index += 1
            }
        }

        mutating func value() throws -> TestJSON {
            skipSpace()
            guard index < bytes.count else { throw ParseError(offset: index) }
            switch bytes[index] {
            case UInt8(ascii: "{"):
                index += 1
                var fields: [(String, TestJSON)] = []
                skipSpace()
                if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(fields) }
                while true {
                    skipSpace()
                    guard case .string(let key) = try value() else { throw ParseError(offset: index) }
                    skipSpace()
                    try expect(":")
                    fields.append((key, try value()))
                    skipSpace()
                    if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                    try expect("}")
                    return .object(fields)
                }
            case UInt8(ascii: "["):
                index += 1
                var items: [TestJSON] = []
                skipSpace()
                if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
                while true {
                    items.append(try value())
                    skipSpace()
                    if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                    try expect("]")
                    return .array(items)
                }
            case UInt8(ascii: "\""):
                index += 1
                var out: [UInt8] = []
                while index < bytes.count && bytes[index] != UInt8(ascii: "\"") {
                    if bytes[index] < 0x20 { throw ParseError(offset: index) }
                    if bytes[index] == UInt8(ascii: "\\") {
                        index += 1
                        switch bytes[index] {
                        case UInt8(ascii: "u"):
                            let hex = String(decoding: bytes[(index + 1)...(index + 4)], as: UTF8.self)
                            guard let code = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(code) else {
                                throw ParseError(offset: index)
                            }
                            out.append(contentsOf: Array(String(Character(scalar)).utf8))
                            index += 4
                        case UInt8(ascii: "n"): out.append(10)
                        case UInt8(ascii: "t"): out.append(9)
                        default: out.append(bytes[index])
                        }
                    } else {
                        out.append(bytes[index])
                    }
                    index += 1
                }
                try expect("\"")
                return .string(String(decoding: out, as: UTF8.self))
            case UInt8(ascii: "t"): try expect("true"); return .bool(true)
            case UInt8(ascii: "f"): try expect("false"); return .bool(false)
            case UInt8(ascii: "n"): try expect("null"); return .null
            default:
                let start = index
                while index < bytes.count && "+-0123456789.eE".utf8.contains(bytes[index]) { index += 1 }
                guard let number = Double(String(decoding: bytes[start..<index], as: UTF8.self)) else {
                    throw ParseError(offset: start)
                }
                return .number(number)
            }
        }
    }
}
