import EventModel

/// Compact JSON serialization of generated events, appending to a byte buffer.
public enum JSONWriter {
    /// Appends `{"k":v,...}`. When a top-level field is the verify id, the offset (in `out`) of its
    /// sequence digits is appended to `idDigitOffsets`.
    public static func appendObject(
        _ fields: [(String, FieldValue)], to out: inout [UInt8], idDigitOffsets: inout [Int]
    ) {
        out.append(UInt8(ascii: "{"))
        for (index, (key, value)) in fields.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            appendString(key, to: &out)
            out.append(UInt8(ascii: ":"))
            if key == EventGenerator.verifyFieldName, case .string(let id) = value {
                let start = out.count
                appendString(id, to: &out)
                // Sequence digits sit right before the closing quote.
                idDigitOffsets.append(out.count - 1 - EventGenerator.verifySequenceDigits)
                _ = start
            } else {
                appendValue(value, to: &out)
            }
        }
        out.append(UInt8(ascii: "}"))
    }

    public static func appendObject(_ fields: [(String, FieldValue)], to out: inout [UInt8]) {
        var ignored: [Int] = []
        appendObject(fields, to: &out, idDigitOffsets: &ignored)
    }

    public static func appendValue(_ value: FieldValue, to out: inout [UInt8]) {
        switch value {
        case .string(let text): appendString(text, to: &out)
        case .int(let number): out.append(contentsOf: String(number).utf8)
        case .double(let number): out.append(contentsOf: formatDouble(number).utf8)
        case .bool(let flag): out.append(contentsOf: (flag ? "true" : "false").utf8)
        case .object(let fields): appendObject(fields, to: &out)
        }
    }

    public static func encodedCount(ofObject fields: [(String, FieldValue)]) -> Int {
        var scratch: [UInt8] = []
        appendObject(fields, to: &scratch)
        return scratch.count
    }

    /// JSON has no NaN/Infinity; they become null. Integral doubles keep a ".0" so they stay floats.
    static func formatDouble(_ number: Double) -> String {
        guard number.isFinite else { return "null" }
        return number.description
    }

    public static func appendString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        JSONStringEscaper.appendEscaped(text, controls: .unicode, to: &out)
        out.append(UInt8(ascii: "\""))
    }
}
