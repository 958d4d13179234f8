import EventModel
/// Any OTLP/JSON problem: bad JSON, a wrong value type for a known field, bad hex or base64, too deep.
struct OTLPJSONError: Error {}

/// Rewrites an OTLP/JSON request as protobuf wire bytes, field by field, with a small pull parser (no
/// Foundation, no tree): the JSON is validated completely (UTF-8, escapes, grammar, nesting), known
/// fields are re-encoded per ``OTLPJSONSchema``, unknown ones are skipped. The protobuf mapper then
/// reads the result, so JSON and protobuf requests produce the same events.
///
/// OTLP/JSON rules: lowerCamelCase keys; trace and span ids as hex; enums as integers (numeric strings
/// accepted); 64-bit integers as strings or numbers; doubles as numbers or `"NaN"`, `"Infinity"`,
/// `"-Infinity"`; `bytesValue` as base64 (standard or URL alphabet, padding optional); `null` means
/// "not set". Length prefixes are written as fixed 5-byte varints (valid protobuf, patched in place).
struct OTLPJSONTranscoder {
    let maxNestingDepth: Int

    func transcode(_ json: [UInt8], signal: OTLPSignal) throws(OTLPJSONError) -> [UInt8] {
        let result: Result<[UInt8], OTLPJSONError> = json.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return .failure(OTLPJSONError()) }
            var parser = Parser(base: base, end: buffer.count, maxNestingDepth: maxNestingDepth)
            defer { parser.deallocate() }
            do throws(OTLPJSONError) {
                parser.skipWhitespace()
                try parser.message(OTLPJSONSchema.request(for: signal), depth: 0)
                parser.skipWhitespace()
                guard parser.index == parser.end else { throw OTLPJSONError() }
            } catch {
                return .failure(error)
            }
            return .success(parser.out.makeArray())
        }
        return try result.get()
    }

    struct Parser {
        let base: UnsafePointer<UInt8>
        var index = 0
        let end: Int
        let maxNestingDepth: Int
        var out: ByteBuffer
        /// Decoded object keys and string values that need conversion (hex, base64, numbers).
        var scratch = ByteBuffer(capacity: 256)

        static let lengthPlaceholderBytes = 5

        init(base: UnsafePointer<UInt8>, end: Int, maxNestingDepth: Int) {
            self.base = base
            self.end = end
            self.maxNestingDepth = maxNestingDepth
            out = ByteBuffer(capacity: end)
        }

        func deallocate() {
            out.deallocate()
            scratch.deallocate()
        }

        // MARK: lexing

        mutating func skipWhitespace() {
            while index < end {
                switch base[index] {
                case 0x20, 0x09, 0x0a, 0x0d: index += 1
                default: return
                }
            }
        }

        func peek() throws(OTLPJSONError) -> UInt8 {
            guard index < end else { throw OTLPJSONError() }
            return base[index]
        }

        mutating func expect(_ byte: UInt8) throws(OTLPJSONError) {
            skipWhitespace()
            guard index < end, base[index] == byte else { throw OTLPJSONError() }
            index += 1
        }

        mutating func literal(_ word: StaticString) throws(OTLPJSONError) {
            let count = word.utf8CodeUnitCount
            guard end - index >= count, memcmpEqual(base + index, word.utf8Start, count) else { throw OTLPJSONError() }
            index += count
        }

        enum StringDestination { case output, scratch }

        /// Decodes the string at `index` (which must be `"`) into the output or the scratch buffer,
        /// validating it fully.
        mutating func string(into destination: StringDestination) throws(OTLPJSONError) {
            var target = destination == .output ? out : scratch
            defer {
                if destination == .output { out = target } else { scratch = target }
            }
            guard try peek() == UInt8(ascii: "\"") else { throw OTLPJSONError() }
            index += 1
            var runStart = index
            while true {
                guard index < end else { throw OTLPJSONError() }
                let byte = base[index]
                if byte == UInt8(ascii: "\"") {
                    target.append(base + runStart, count: index - runStart)
                    index += 1
                    return
                }
                if byte < 0x20 { throw OTLPJSONError() }
                if byte >= 0x80 {
                    let length = JSONStringEscaper.sequenceLength(base + index, available: end - index)
                    guard length > 0 else { throw OTLPJSONError() }
                    index += length
                    continue
                }
                if byte != UInt8(ascii: "\\") {
                    index += 1
                    continue
                }
                target.append(base + runStart, count: index - runStart)
                index += 1
                guard index < end else { throw OTLPJSONError() }
                let escape = base[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): target.append(escape)
                case UInt8(ascii: "b"): target.append(0x08)
                case UInt8(ascii: "f"): target.append(0x0c)
                case UInt8(ascii: "n"): target.append(0x0a)
                case UInt8(ascii: "r"): target.append(0x0d)
                case UInt8(ascii: "t"): target.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if scalar >= 0xd800 && scalar < 0xdc00 {
                        // A high surrogate must be followed by an escaped low surrogate.
                        guard end - index >= 2, base[index] == UInt8(ascii: "\\"), base[index + 1] == UInt8(ascii: "u")
                        else { throw OTLPJSONError() }
                        index += 2
                        let low = try hex4()
                        guard low >= 0xdc00 && low < 0xe000 else { throw OTLPJSONError() }
                        scalar = 0x10000 + ((scalar - 0xd800) << 10) + (low - 0xdc00)
                    } else if scalar >= 0xdc00 && scalar < 0xe000 {
                        throw OTLPJSONError()
                    }
                    appendUTF8(scalar, to: &target)
                default:
                    throw OTLPJSONError()
                }
                runStart = index
            }
        }

        mutating func hex4() throws(OTLPJSONError) -> UInt32 {
            guard end - index >= 4 else { throw OTLPJSONError() }
            var value: UInt32 = 0
            for _ in 0..<4 {
                guard let digit = Self.hexValue(base[index]) else { throw OTLPJSONError() }
                value = value << 4 | UInt32(digit)
                index += 1
            }
            return value
        }

        static func hexValue(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
            default: nil
            }
        }

        func appendUTF8(_ scalar: UInt32, to target: inout ByteBuffer) {
            switch scalar {
            case ..<0x80:
                target.append(UInt8(scalar))
            case ..<0x800:
                target.append(UInt8(0xc0 | scalar >> 6))
                target.append(UInt8(0x80 | scalar & 0x3f))
            case ..<0x10000:
                target.append(UInt8(0xe0 | scalar >> 12))
                target.append(UInt8(0x80 | scalar >> 6 & 0x3f))
                target.append(UInt8(0x80 | scalar & 0x3f))
            default:
                target.append(UInt8(0xf0 | scalar >> 18))
                target.append(UInt8(0x80 | scalar >> 12 & 0x3f))
                target.append(UInt8(0x80 | scalar >> 6 & 0x3f))
                target.append(UInt8(0x80 | scalar & 0x3f))
            }
        }

        /// The number token at `index` (JSON grammar checked); returns its range.
        mutating func numberToken() throws(OTLPJSONError) -> Range<Int> {
            let start = index
            if index < end && base[index] == UInt8(ascii: "-") { index += 1 }
            guard index < end else { throw OTLPJSONError() }
            if base[index] == UInt8(ascii: "0") {
                index += 1
            } else {
                guard isDigit(base[index]) else { throw OTLPJSONError() }
                while index < end && isDigit(base[index]) { index += 1 }
            }
            if index < end && base[index] == UInt8(ascii: ".") {
                index += 1
                guard index < end, isDigit(base[index]) else { throw OTLPJSONError() }
                while index < end && isDigit(base[index]) { index += 1 }
            }
            if index < end && (base[index] == UInt8(ascii: "e") || base[index] == UInt8(ascii: "E")) {
                index += 1
                if index < end && (base[index] == UInt8(ascii: "+") || base[index] == UInt8(ascii: "-")) { index += 1 }
                guard index < end, isDigit(base[index]) else { throw OTLPJSONError() }
                while index < end && isDigit(base[index]) { index += 1 }
            }
            return start..<index
        }

        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

        // MARK: skipping

        mutating func skipValue(depth: Int) throws(OTLPJSONError) {
            guard depth <= maxNestingDepth else { throw OTLPJSONError() }
            skipWhitespace()
            switch try peek() {
            case UInt8(ascii: "{"):
                index += 1
                skipWhitespace()
                if try peek() == UInt8(ascii: "}") {
                    index += 1
                    return
                }
                while true {
                    skipWhitespace()
                    scratch.count = 0
                    try string(into: .scratch)
                    try expect(UInt8(ascii: ":"))
                    try skipValue(depth: depth + 1)
                    skipWhitespace()
                    let next = try peek()
                    index += 1
                    if next == UInt8(ascii: "}") { return }
                    guard next == UInt8(ascii: ",") else { throw OTLPJSONError() }
                }
            case UInt8(ascii: "["):
                index += 1
                skipWhitespace()
                if try peek() == UInt8(ascii: "]") {
                    index += 1
                    return
                }
                while true {
                    try skipValue(depth: depth + 1)
                    skipWhitespace()
                    let next = try peek()
                    index += 1
                    if next == UInt8(ascii: "]") { return }
                    guard next == UInt8(ascii: ",") else { throw OTLPJSONError() }
                }
            case UInt8(ascii: "\""):
                scratch.count = 0
                try string(into: .scratch)
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            default: _ = try numberToken()
            }
        }

        // MARK: messages

        mutating func message(_ schema: OTLPJSONSchema, depth: Int) throws(OTLPJSONError) {
            guard depth <= maxNestingDepth else { throw OTLPJSONError() }
            try expect(UInt8(ascii: "{"))
            skipWhitespace()
            if try peek() == UInt8(ascii: "}") {
                index += 1
                return
            }
            let fields = schema.fields
            while true {
                skipWhitespace()
                scratch.count = 0
                try string(into: .scratch)
                try expect(UInt8(ascii: ":"))
                skipWhitespace()
                let field = fields.first { field in
                    field.name.utf8CodeUnitCount == scratch.count
                        && memcmpEqual(field.name.utf8Start, scratch.base, scratch.count)
                }
                if let field {
                    try value(of: field, depth: depth + 1)
                } else {
                    try skipValue(depth: depth + 1)
                }
                skipWhitespace()
                let next = try peek()
                index += 1
                if next == UInt8(ascii: "}") { return }
                guard next == UInt8(ascii: ",") else { throw OTLPJSONError() }
            }
        }

        mutating func value(of field: OTLPJSONSchema.Field, depth: Int) throws(OTLPJSONError) {
            let first = try peek()
            if first == UInt8(ascii: "n") {
                try literal("null")
                return
            }
            // proto3 JSON: repeated fields are arrays, others never are.
            guard first == UInt8(ascii: "[") else {
                guard !field.isRepeated else { throw OTLPJSONError() }
                try element(of: field, depth: depth)
                return
            }
            guard field.isRepeated, depth <= maxNestingDepth else { throw OTLPJSONError() }
            index += 1
            skipWhitespace()
            if try peek() == UInt8(ascii: "]") {
                index += 1
                return
            }
            while true {
                skipWhitespace()
                try element(of: field, depth: depth + 1)
                skipWhitespace()
                let next = try peek()
                index += 1
                if next == UInt8(ascii: "]") { return }
                guard next == UInt8(ascii: ",") else { throw OTLPJSONError() }
            }
        }

        /// One value of the field, written as one protobuf field.
        mutating func element(of field: OTLPJSONSchema.Field, depth: Int) throws(OTLPJSONError) {
            switch field.kind {
            case .message(let schema):
                let lengthAt = beginLengthDelimited(field.number)
                try message(schema, depth: depth)
                endLengthDelimited(lengthAt)
            case .string:
                let lengthAt = beginLengthDelimited(field.number)
                try string(into: .output)
                endLengthDelimited(lengthAt)
            case .hexBytes:
                scratch.count = 0
                try string(into: .scratch)
                guard scratch.count % 2 == 0 else { throw OTLPJSONError() }
                writeTag(field.number, ProtoReader.wireLengthDelimited)
                writeVarint(UInt64(scratch.count / 2))
                var position = 0
                while position < scratch.count {
                    guard let high = Self.hexValue(scratch.base[position]), let low = Self.hexValue(scratch.base[position + 1])
                    else { throw OTLPJSONError() }
                    out.append(high << 4 | low)
                    position += 2
                }
            case .base64Bytes:
                scratch.count = 0
                try string(into: .scratch)
                let lengthAt = beginLengthDelimited(field.number)
                try decodeBase64()
                endLengthDelimited(lengthAt)
            case .fixed64:
                writeTag(field.number, ProtoReader.wireFixed64)
                writeFixed64(try unsignedInteger(max: UInt64.max))
            case .sfixed64:
                writeTag(field.number, ProtoReader.wireFixed64)
                writeFixed64(UInt64(bitPattern: try signedInteger(min: Int64.min, max: Int64.max)))
            case .double:
                writeTag(field.number, ProtoReader.wireFixed64)
                writeFixed64(try double().bitPattern)
            case .int64:
                writeTag(field.number, ProtoReader.wireVarint)
                writeVarint(UInt64(bitPattern: try signedInteger(min: Int64.min, max: Int64.max)))
            case .uint32:
                writeTag(field.number, ProtoReader.wireVarint)
                writeVarint(try unsignedInteger(max: UInt64(UInt32.max)))
            case .uint64:
                writeTag(field.number, ProtoReader.wireVarint)
                writeVarint(try unsignedInteger(max: UInt64.max))
            case .enumeration:
                writeTag(field.number, ProtoReader.wireVarint)
                writeVarint(UInt64(bitPattern: try signedInteger(min: Int64(Int32.min), max: Int64(Int32.max))))
            case .sint32:
                let value = try signedInteger(min: Int64(Int32.min), max: Int64(Int32.max))
                writeTag(field.number, ProtoReader.wireVarint)
                writeVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
            case .bool:
                writeTag(field.number, ProtoReader.wireVarint)
                if try peek() == UInt8(ascii: "t") {
                    try literal("true")
                    writeVarint(1)
                } else {
                    try literal("false")
                    writeVarint(0)
                }
            case .fixed32:
                writeTag(field.number, ProtoReader.wireFixed32)
                let value = UInt32(try unsignedInteger(max: UInt64(UInt32.max)))
                out.reserve(4)
                withUnsafeBytes(of: value.littleEndian) { bytes in
                    out.append(bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), count: 4)
                }
            }
        }

        // MARK: scalar values

        /// The digits of an integer given as a JSON number or a string holding one (proto3 JSON).
        mutating func integerText() throws(OTLPJSONError) -> (negative: Bool, digits: ByteBuffer) {
            scratch.count = 0
            if try peek() == UInt8(ascii: "\"") {
                try string(into: .scratch)
            } else {
                let token = try numberToken()
                scratch.append(base + token.lowerBound, count: token.count)
            }
            var start = 0
            var negative = false
            if scratch.count > 0 && scratch.base[0] == UInt8(ascii: "-") {
                negative = true
                start = 1
            }
            guard scratch.count > start else { throw OTLPJSONError() }
            for position in start..<scratch.count where !isDigit(scratch.base[position]) { throw OTLPJSONError() }
            return (negative, scratch)
        }

        mutating func magnitude(of digits: ByteBuffer, from start: Int) throws(OTLPJSONError) -> UInt64 {
            var value: UInt64 = 0
            for position in start..<digits.count {
                let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times10.addingReportingOverflow(UInt64(digits.base[position] - UInt8(ascii: "0")))
                guard !overflow1 && !overflow2 else { throw OTLPJSONError() }
                value = sum
            }
            return value
        }

        mutating func unsignedInteger(max: UInt64) throws(OTLPJSONError) -> UInt64 {
            let (negative, digits) = try integerText()
            let value = try magnitude(of: digits, from: negative ? 1 : 0)
            guard !negative || value == 0, value <= max else { throw OTLPJSONError() }
            return value
        }

        mutating func signedInteger(min: Int64, max: Int64) throws(OTLPJSONError) -> Int64 {
            let (negative, digits) = try integerText()
            let value = try magnitude(of: digits, from: negative ? 1 : 0)
            if negative {
                guard value <= min.magnitude else { throw OTLPJSONError() }
                return value == Int64.min.magnitude ? Int64.min : -Int64(value)
            }
            guard value <= UInt64(max) else { throw OTLPJSONError() }
            return Int64(value)
        }

        mutating func double() throws(OTLPJSONError) -> Double {
            scratch.count = 0
            if try peek() == UInt8(ascii: "\"") {
                try string(into: .scratch)
                let text = String(decoding: UnsafeBufferPointer(start: scratch.base, count: scratch.count), as: UTF8.self)
                switch text {
                case "NaN": return .nan
                case "Infinity": return .infinity
                case "-Infinity": return -.infinity
                default:
                    // A numeric string must itself be a JSON number.
                    var inner = Parser(base: scratch.base, end: scratch.count, maxNestingDepth: 0)
                    defer { inner.deallocate() }
                    guard scratch.count > 0, (try? inner.numberToken()) != nil, inner.index == scratch.count,
                          let value = Double(text) else { throw OTLPJSONError() }
                    return value
                }
            }
            let token = try numberToken()
            let text = String(decoding: UnsafeBufferPointer(start: base + token.lowerBound, count: token.count), as: UTF8.self)
            guard let value = Double(text) else { throw OTLPJSONError() }
            return value
        }

        /// Decodes base64 (standard or URL-safe alphabet, padding optional) from `scratch` into `out`.
        mutating func decodeBase64() throws(OTLPJSONError) {
            var count = scratch.count
            while count > 0 && scratch.base[count - 1] == UInt8(ascii: "=") { count -= 1 }
            guard scratch.count - count <= 2, count % 4 != 1 else { throw OTLPJSONError() }
            if scratch.count != count { guard scratch.count % 4 == 0 else { throw OTLPJSONError() } }
            var accumulator: UInt32 = 0
            var bits = 0
            for position in 0..<count {
                let byte = scratch.base[position]
                let sextet: UInt32
                switch byte {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"): sextet = UInt32(byte - UInt8(ascii: "A"))
                case UInt8(ascii: "a")...UInt8(ascii: "z"): sextet = UInt32(byte - UInt8(ascii: "a")) + 26
                case UInt8(ascii: "0")...UInt8(ascii: "9"): sextet = UInt32(byte - UInt8(ascii: "0")) + 52
                case UInt8(ascii: "+"), UInt8(ascii: "-"): sextet = 62
                case UInt8(ascii: "/"), UInt8(ascii: "_"): sextet = 63
                default: throw OTLPJSONError()
                }
                accumulator = accumulator << 6 | sextet
                bits += 6
                if bits >= 8 {
                    bits -= 8
                    out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
                }
            }
        }

        // MARK: wire output

        mutating func writeVarint(_ value: UInt64) {
            var value = value
            while value >= 0x80 {
                out.append(UInt8(truncatingIfNeeded: value) | 0x80)
                value >>= 7
            }
            out.append(UInt8(value))
        }

        mutating func writeTag(_ field: UInt32, _ wireType: UInt8) {
            writeVarint(UInt64(field) << 3 | UInt64(wireType))
        }

        mutating func writeFixed64(_ value: UInt64) {
            withUnsafeBytes(of: value.littleEndian) { bytes in
                out.append(bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), count: 8)
            }
        }

        /// Writes the tag and a 5-byte length placeholder; returns where the placeholder is.
        mutating func beginLengthDelimited(_ field: UInt32) -> Int {
            writeTag(field, ProtoReader.wireLengthDelimited)
            let at = out.count
            out.reserve(Self.lengthPlaceholderBytes)
            out.count += Self.lengthPlaceholderBytes
            return at
        }

        /// Fills the placeholder with the length written since, as a 5-byte varint.
        mutating func endLengthDelimited(_ at: Int) {
            var length = UInt64(out.count - at - Self.lengthPlaceholderBytes)
            for offset in 0..<Self.lengthPlaceholderBytes {
                let last = offset == Self.lengthPlaceholderBytes - 1
                out.base[at + offset] = UInt8(truncatingIfNeeded: length & 0x7f) | (last ? 0 : 0x80)
                length >>= 7
            }
        }
    }
}
