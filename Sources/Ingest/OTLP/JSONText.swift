import EventModel

/// Writing JSON text pieces into a ``ByteBuffer``: escaped strings (``JSONStringEscaper``; invalid UTF-8
/// becomes U+FFFD, as Go's encoder does), numbers in two styles, hex ids and base64.
enum JSONText {
    private static let hexDigits: StaticString = "0123456789abcdef"
    private static let base64Alphabet: StaticString =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

    /// Appends `bytes` as the inside of a JSON string (no quotes): `"` and `\` escaped, `\n` `\r` `\t`
    /// short-escaped, other controls as `\u00XX`, valid UTF-8 copied, each invalid byte as U+FFFD.
    static func appendEscaped(_ bytes: UnsafePointer<UInt8>, count: Int, into out: inout ByteBuffer) {
        _ = JSONStringEscaper.appendEscaped(bytes, count: count, invalidUTF8: .replace, into: &out)
    }

    /// The longest prefix of `count` bytes (at most `limit`) that does not end inside a UTF-8 sequence.
    static func utf8BoundaryPrefix(_ bytes: UnsafePointer<UInt8>, count: Int, limit: Int) -> Int {
        guard count > limit else { return count }
        var cut = limit
        // Step back over continuation bytes to the start of the character the limit splits.
        while cut > 0 && bytes[cut] & 0xc0 == 0x80 { cut -= 1 }
        return cut
    }

    /// Lowercase hex of the bytes.
    static func appendHex(_ bytes: UnsafePointer<UInt8>, count: Int, into out: inout ByteBuffer) {
        out.reserve(count * 2)
        let digits = hexDigits.utf8Start
        for index in 0..<count {
            let byte = bytes[index]
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xf)])
        }
    }

    /// Standard base64 with padding (Go's `[]byte` JSON form).
    static func appendBase64(_ bytes: UnsafePointer<UInt8>, count: Int, into out: inout ByteBuffer) {
        let alphabet = base64Alphabet.utf8Start
        out.reserve((count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= count {
            let chunk = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            out.append(alphabet[Int(chunk >> 18 & 63)])
            out.append(alphabet[Int(chunk >> 12 & 63)])
            out.append(alphabet[Int(chunk >> 6 & 63)])
            out.append(alphabet[Int(chunk & 63)])
            index += 3
        }
        let rest = count - index
        if rest == 1 {
            let chunk = UInt32(bytes[index]) << 16
            out.append(alphabet[Int(chunk >> 18 & 63)])
            out.append(alphabet[Int(chunk >> 12 & 63)])
            out.append("==")
        } else if rest == 2 {
            let chunk = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
            out.append(alphabet[Int(chunk >> 18 & 63)])
            out.append(alphabet[Int(chunk >> 12 & 63)])
            out.append(alphabet[Int(chunk >> 6 & 63)])
            out.append("=")
        }
    }

    /// A finite double as a JSON number that reads back as a float: Swift's shortest round-trip form
    /// (`20.0`, `0.026052`, `1e-07`). Callers skip non-finite values (JSON has none).
    static func appendDouble(_ value: Double, into out: inout ByteBuffer) {
        var text = value.description
        text.withUTF8 { utf8 in out.append(utf8.baseAddress!, count: utf8.count) }
    }

    /// A finite double as Go's `encoding/json` writes it (the form inside husky's JSON-string fields):
    /// shortest digits, `%f` style (`20`, `0.001`) unless the magnitude is below 1e-6 or at least
    /// 1e21, then `%e` style with `e-7` rather than `e-07`.
    static func appendGoDouble(_ value: Double, into out: inout ByteBuffer) {
        let decimal = ShortestDecimal(value)
        if decimal.isNegative { out.append(UInt8(ascii: "-")) }
        let digits = decimal.digits
        guard !digits.isEmpty else {
            out.append(UInt8(ascii: "0"))
            return
        }
        let exponent = decimal.pointPosition - 1  // power of ten of the first digit
        if exponent < -6 || exponent >= 21 {
            out.append(digits[0])
            if digits.count > 1 {
                out.append(UInt8(ascii: "."))
                out.append(contentsOf: digits[1...])
            }
            out.append(UInt8(ascii: "e"))
            out.append(exponent < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
            if exponent >= 0 && exponent < 10 { out.append(UInt8(ascii: "0")) }
            out.appendUInt(UInt64(exponent.magnitude))
        } else if decimal.pointPosition <= 0 {
            out.append("0.")
            for _ in 0 ..< -decimal.pointPosition { out.append(UInt8(ascii: "0")) }
            out.append(contentsOf: digits)
        } else if decimal.pointPosition >= digits.count {
            out.append(contentsOf: digits)
            for _ in 0 ..< decimal.pointPosition - digits.count { out.append(UInt8(ascii: "0")) }
        } else {
            out.append(contentsOf: digits[..<decimal.pointPosition])
            out.append(UInt8(ascii: "."))
            out.append(contentsOf: digits[decimal.pointPosition...])
        }
    }

    /// The shortest round-trip decimal digits of a finite double (taken from Swift's `description`,
    /// which prints exactly those): value = 0.d₁d₂… × 10^pointPosition.
    struct ShortestDecimal {
        var isNegative = false
        var digits: [UInt8] = []
        var pointPosition = 0

        init(_ value: Double) {
            let text = Array(value.description.utf8)
            var index = 0
            if index < text.count, text[index] == UInt8(ascii: "-") {
                isNegative = true
                index += 1
            }
            var all: [UInt8] = []
            var integerDigits = 0
            var seenPoint = false
            while index < text.count, text[index] != UInt8(ascii: "e") {
                let byte = text[index]
                if byte == UInt8(ascii: ".") {
                    seenPoint = true
                } else {
                    all.append(byte)
                    if !seenPoint { integerDigits += 1 }
                }
                index += 1
            }
            var exponent = 0
            if index < text.count {
                index += 1
                var negative = false
                if text[index] == UInt8(ascii: "-") { negative = true; index += 1 }
                else if text[index] == UInt8(ascii: "+") { index += 1 }
                while index < text.count {
                    exponent = exponent * 10 + Int(text[index] - UInt8(ascii: "0"))
                    index += 1
                }
                if negative { exponent = -exponent }
            }
            var position = integerDigits + exponent
            var leading = 0
            while leading < all.count && all[leading] == UInt8(ascii: "0") { leading += 1 }
            all.removeFirst(leading)
            position -= leading
            while let last = all.last, last == UInt8(ascii: "0") { all.removeLast() }
            digits = all
            pointPosition = all.isEmpty ? 0 : position
        }
    }
}
