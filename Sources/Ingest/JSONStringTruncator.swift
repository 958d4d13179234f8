/// Enforces ``IngestLimits/maxStringValueBytes`` on JSON that is already validated: rebuilds an event's
/// data object with every over-long string value cut to the limit, counted in unescaped UTF-8 bytes and
/// cut at a character boundary. The kept prefix is copied as sent (escapes included), so the result is
/// valid JSON and identical to the input apart from the cuts. Keys are never cut.
///
/// Only called for events whose longest raw string (reported by the simdjson shim) is over the limit, so
/// the common case costs nothing.
enum JSONStringTruncator {
    /// A rebuilt copy of `json` (one valid JSON value), or nil when no string value is over `limit`.
    static func truncated(_ json: UnsafeBufferPointer<UInt8>, limit: Int) -> [UInt8]? {
        var output: [UInt8] = []
        var copiedUpTo = 0
        var index = 0
        let count = json.count
        while index < count {
            guard json[index] == UInt8(ascii: "\"") else {
                index += 1
                continue
            }
            let start = index + 1
            var close = start
            while json[close] != UInt8(ascii: "\"") {
                close += json[close] == UInt8(ascii: "\\") ? 2 : 1
            }
            if close - start > limit, !isKey(json, closingQuote: close), let cut = cutPosition(json, start: start, end: close, limit: limit) {
                if output.isEmpty { output.reserveCapacity(count) }
                output.append(contentsOf: UnsafeBufferPointer(rebasing: json[copiedUpTo..<cut]))
                output.append(UInt8(ascii: "\""))
                copiedUpTo = close + 1
            }
            index = close + 1
        }
        guard copiedUpTo > 0 else { return nil }
        output.append(contentsOf: UnsafeBufferPointer(rebasing: json[copiedUpTo..<count]))
        return output
    }

    /// A string is a key when the next non-whitespace byte after its closing quote is `:`.
    private static func isKey(_ json: UnsafeBufferPointer<UInt8>, closingQuote: Int) -> Bool {
        var index = closingQuote + 1
        while index < json.count, [0x20, 0x09, 0x0A, 0x0D].contains(json[index]) { index += 1 }
        return index < json.count && json[index] == UInt8(ascii: ":")
    }

    /// Where to cut the string contents `json[start..<end]` so that at most `limit` unescaped UTF-8 bytes
    /// remain; nil when the whole string fits.
    private static func cutPosition(_ json: UnsafeBufferPointer<UInt8>, start: Int, end: Int, limit: Int) -> Int? {
        var decodedBytes = 0
        var position = start
        while position < end {
            let rawLength: Int
            let utf8Length: Int
            let byte = json[position]
            if byte == UInt8(ascii: "\\") {
                if json[position + 1] == UInt8(ascii: "u") {
                    let unit = hexValue(json, at: position + 2)
                    if (0xD800...0xDBFF).contains(unit) {  // a surrogate pair (the shim checked the pairing)
                        rawLength = 12
                        utf8Length = 4
                    } else {
                        rawLength = 6
                        utf8Length = unit < 0x80 ? 1 : unit < 0x800 ? 2 : 3
                    }
                } else {
                    rawLength = 2
                    utf8Length = 1
                }
            } else {
                utf8Length = byte < 0x80 ? 1 : byte < 0xE0 ? 2 : byte < 0xF0 ? 3 : 4
                rawLength = utf8Length
            }
            if decodedBytes + utf8Length > limit { return position }
            decodedBytes += utf8Length
            position += rawLength
        }
        return nil
    }

    private static func hexValue(_ json: UnsafeBufferPointer<UInt8>, at start: Int) -> Int {
        var value = 0
        for index in start..<start + 4 {
            let byte = json[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            default: digit = byte &- UInt8(ascii: "A") &+ 10
            }
            value = value << 4 | Int(digit & 0x0F)
        }
        return value
    }
}
