/// A small, strict RFC 8259 JSON parser used as the tests' oracle. Independent of simdjson and of
/// Foundation, and it keeps every number as its raw token so a lost digit (9007199254740993 read through
/// a Double) shows up as a difference.
public indirect enum TestJSON: Equatable, CustomStringConvertible {
    case object([(key: String, value: TestJSON)])
    case array([TestJSON])
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    public struct Invalid: Error {
        public let reason: String
        public let offset: Int
    }

    /// Parses one complete document (whitespace around the root allowed, nothing else).
    public static func parse(_ bytes: some Collection<UInt8>) throws -> TestJSON {
        let input = Array(bytes)
        guard String(validating: input, as: UTF8.self) != nil else { throw Invalid(reason: "invalid UTF-8", offset: 0) }
        var parser = Parser(bytes: input)
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.index == input.count else { throw Invalid(reason: "trailing content", offset: parser.index) }
        return value
    }

    public static func isValid(_ bytes: some Collection<UInt8>) -> Bool {
        (try? parse(bytes)) != nil
    }

    /// Last value for `key` (JSON objects here follow last-wins for repeated keys).
    public subscript(key: String) -> TestJSON? {
        guard case .object(let fields) = self else { return nil }
        return fields.last(where: { $0.key == key })?.value
    }

    /// Nesting depth: scalars 0, `{}`/`[]` 1, `{"a":{}}` 2.
    public var depth: Int {
        switch self {
        case .object(let fields): 1 + (fields.map(\.value.depth).max() ?? 0)
        case .array(let items): 1 + (items.map(\.depth).max() ?? 0)
        default: 0
        }
    }

    /// Semantic equality: objects compare as key → value maps (order ignored, last duplicate wins);
    /// integer tokens compare digit for digit; other numbers compare by value.
    public static func == (lhs: TestJSON, rhs: TestJSON) -> Bool {
        switch (lhs, rhs) {
        case (.object(let a), .object(let b)):
            let left = Dictionary(a.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
            let right = Dictionary(b.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
            guard left.count == right.count else { return false }
            for (key, value) in left {
                guard let other = right[key], other == value else { return false }
            }
            return true
        case (.array(let a), .array(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0 == $1 }
        case (.string(let a), .string(let b)):
            return a.unicodeScalars.elementsEqual(b.unicodeScalars)
        case (.number(let a), .number(let b)):
            let integral = { (token: String) in !token.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) }
            if integral(a) && integral(b) { return a == b }
            return Double(a) == Double(b)
        case (.bool(let a), .bool(let b)):
            return a == b
        case (.null, .null):
            return true
        default:
            return false
        }
    }

    public var arrayValue: [TestJSON]? { if case .array(let items) = self { items } else { nil } }
    public var stringValue: String? { if case .string(let text) = self { text } else { nil } }
    /// The number's token read as a Double (the raw token stays in `.number` for exact comparisons).
    public var numberValue: Double? { if case .number(let token) = self { Double(token) } else { nil } }

    public var description: String {
        switch self {
        case .object(let fields): "{" + fields.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}"
        case .array(let items): "[" + items.map(\.description).joined(separator: ",") + "]"
        case .string(let text): "\"\(text)\""
        case .number(let token): token
        case .bool(let flag): flag ? "true" : "false"
        case .null: "null"
        }
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0
        static let maxDepth = 10_000

        mutating func skipWhitespace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        func fail(_ reason: String) -> Invalid { Invalid(reason: reason, offset: index) }

        mutating func value(depth: Int) throws -> TestJSON {
            guard depth < Self.maxDepth else { throw fail("too deep") }
            guard index < bytes.count else { throw fail("unexpected end") }
            switch bytes[index] {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            default: return .number(try number())
            }
        }

        mutating func literal(_ word: String) throws {
            let expected = Array(word.utf8)
            guard index + expected.count <= bytes.count, Array(bytes[index..<index + expected.count]) == expected else {
                throw fail("bad literal")
            }
            index += expected.count
        }

        mutating func object(depth: Int) throws -> TestJSON {
            index += 1
            var fields: [(key: String, value: TestJSON)] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(fields)
            }
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected key") }
                let key = try string()
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected colon") }
                index += 1
                skipWhitespace()
                fields.append((key, try value(depth: depth + 1)))
                skipWhitespace()
                guard index < bytes.count else { throw fail("unclosed object") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(fields) }
                throw fail("expected , or }")
            }
        }

        mutating func array(depth: Int) throws -> TestJSON {
            index += 1
            var items: [TestJSON] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(items)
            }
            while true {
                skipWhitespace()
                items.append(try value(depth: depth + 1))
                skipWhitespace()
                guard index < bytes.count else { throw fail("unclosed array") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
                throw fail("expected , or ]")
            }
        }

        mutating func hex4() throws -> UInt32 {
            guard index + 4 <= bytes.count else { throw fail("short \\u") }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let c = bytes[index]
                let digit: UInt32
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(c - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(c - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(c - UInt8(ascii: "A") + 10)
                default: throw fail("bad hex")
                }
                value = value << 4 | digit
                index += 1
            }
            return value
        }

        /// Strings: escapes checked, unpaired surrogates rejected, raw control characters rejected.
        mutating func string() throws -> String {
            index += 1
            var scalars = String.UnicodeScalarView()
            var raw: [UInt8] = []
            func flush() {
                if !raw.isEmpty {
                    scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars)
                    raw.removeAll()
                }
            }
            while true {
                guard index < bytes.count else { throw fail("unclosed string") }
                let c = bytes[index]
                if c == UInt8(ascii: "\"") {
                    index += 1
                    flush()
                    return String(scalars)
                }
                if c < 0x20 { throw fail("control character in string") }
                if c != UInt8(ascii: "\\") {
                    raw.append(c)
                    index += 1
                    continue
                }
                flush()
                index += 1
                guard index < bytes.count else { throw fail("unclosed escape") }
                let escaped = bytes[index]
                index += 1
                switch escaped {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    let unit = try hex4()
                    if (0xDC00...0xDFFF).contains(unit) { throw fail("lone low surrogate") }
                    if (0xD800...0xDBFF).contains(unit) {
                        guard index + 2 <= bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                            throw fail("lone high surrogate")
                        }
                        index += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw fail("bad low surrogate") }
                        scalars.append(Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))!)
                    } else {
                        scalars.append(Unicode.Scalar(unit)!)
                    }
                default:
                    throw fail("bad escape")
                }
            }
        }

        mutating func number() throws -> String {
            let start = index
            func isDigit(_ i: Int) -> Bool { i < bytes.count && bytes[i] >= UInt8(ascii: "0") && bytes[i] <= UInt8(ascii: "9") }
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
            if index < bytes.count, bytes[index] == UInt8(ascii: "0") {
                index += 1
            } else if isDigit(index) {
                while isDigit(index) { index += 1 }
            } else {
                throw fail("bad number")
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                guard isDigit(index) else { throw fail("bad fraction") }
                while isDigit(index) { index += 1 }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                guard isDigit(index) else { throw fail("bad exponent") }
                while isDigit(index) { index += 1 }
            }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }
    }
}
