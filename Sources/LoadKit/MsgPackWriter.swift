/// The msgpack subset the batch encoder needs: maps, arrays, strings, ints, float64, bools and the
/// timestamp extension (type −1), appended to a byte buffer in the compact forms libhoney-go writes.
public enum MsgPackWriter {
    public static func appendArrayHeader(_ count: Int, to out: inout [UInt8]) {
        if count < 16 {
            out.append(0x90 | UInt8(count))
        } else if count <= 0xFFFF {
            out.append(0xDC)
            appendBigEndian(UInt16(count), to: &out)
        } else {
            out.append(0xDD)
            appendBigEndian(UInt32(count), to: &out)
        }
    }

    public static func appendMapHeader(_ count: Int, to out: inout [UInt8]) {
        if count < 16 {
            out.append(0x80 | UInt8(count))
        } else if count <= 0xFFFF {
            out.append(0xDE)
            appendBigEndian(UInt16(count), to: &out)
        } else {
            out.append(0xDF)
            appendBigEndian(UInt32(count), to: &out)
        }
    }

    public static func appendString(_ text: String, to out: inout [UInt8]) {
        let bytes = Array(text.utf8)
        if bytes.count < 32 {
            out.append(0xA0 | UInt8(bytes.count))
        } else if bytes.count <= 0xFF {
            out.append(0xD9)
            out.append(UInt8(bytes.count))
        } else if bytes.count <= 0xFFFF {
            out.append(0xDA)
            appendBigEndian(UInt16(bytes.count), to: &out)
        } else {
            out.append(0xDB)
            appendBigEndian(UInt32(bytes.count), to: &out)
        }
        out.append(contentsOf: bytes)
    }

    public static func appendInt(_ value: Int64, to out: inout [UInt8]) {
        if value >= 0 {
            appendUInt(UInt64(value), to: &out)
        } else if value >= -32 {
            out.append(UInt8(bitPattern: Int8(value)))
        } else if value >= Int64(Int8.min) {
            out.append(0xD0)
            out.append(UInt8(bitPattern: Int8(value)))
        } else if value >= Int64(Int16.min) {
            out.append(0xD1)
            appendBigEndian(UInt16(bitPattern: Int16(value)), to: &out)
        } else if value >= Int64(Int32.min) {
            out.append(0xD2)
            appendBigEndian(UInt32(bitPattern: Int32(value)), to: &out)
        } else {
            out.append(0xD3)
            appendBigEndian(UInt64(bitPattern: value), to: &out)
        }
    }

    public static func appendUInt(_ value: UInt64, to out: inout [UInt8]) {
        if value < 128 {
            out.append(UInt8(value))
        } else if value <= 0xFF {
            out.append(0xCC)
            out.append(UInt8(value))
        } else if value <= 0xFFFF {
            out.append(0xCD)
            appendBigEndian(UInt16(value), to: &out)
        } else if value <= 0xFFFF_FFFF {
            out.append(0xCE)
            appendBigEndian(UInt32(value), to: &out)
        } else {
            out.append(0xCF)
            appendBigEndian(value, to: &out)
        }
    }

    public static func appendDouble(_ value: Double, to out: inout [UInt8]) {
        out.append(0xCB)
        appendBigEndian(value.bitPattern, to: &out)
    }

    public static func appendBool(_ value: Bool, to out: inout [UInt8]) {
        out.append(value ? 0xC3 : 0xC2)
    }

    /// Timestamp extension −1 in its 8-byte form: 30-bit nanoseconds over 34-bit seconds.
    /// Falls back to the 12-byte form for times outside the 34-bit range.
    public static func appendTimestamp(unixNanos: Int64, to out: inout [UInt8]) {
        let seconds = unixNanos >= 0 ? unixNanos / 1_000_000_000 : (unixNanos - 999_999_999) / 1_000_000_000
        let nanos = UInt64(unixNanos - seconds * 1_000_000_000)
        if seconds >= 0 && seconds < (1 << 34) {
            out.append(0xD7)
            out.append(0xFF)
            appendBigEndian((nanos << 34) | UInt64(seconds), to: &out)
        } else {
            out.append(0xC7)
            out.append(12)
            out.append(0xFF)
            appendBigEndian(UInt32(nanos), to: &out)
            appendBigEndian(UInt64(bitPattern: seconds), to: &out)
        }
    }

    /// Appends a map of fields; the verify id's sequence digit offsets are recorded like the JSON writer does.
    public static func appendObject(
        _ fields: [(String, FieldValue)], to out: inout [UInt8], idDigitOffsets: inout [Int]
    ) {
        appendMapHeader(fields.count, to: &out)
        for (key, value) in fields {
            appendString(key, to: &out)
            if key == EventGenerator.verifyFieldName, case .string(let id) = value {
                appendString(id, to: &out)
                idDigitOffsets.append(out.count - EventGenerator.verifySequenceDigits)
            } else {
                appendValue(value, to: &out)
            }
        }
    }

    public static func appendValue(_ value: FieldValue, to out: inout [UInt8]) {
        switch value {
        case .string(let text): appendString(text, to: &out)
        case .int(let number): appendInt(number, to: &out)
        case .double(let number): appendDouble(number, to: &out)
        case .bool(let flag): appendBool(flag, to: &out)
        case .object(let fields):
            var ignored: [Int] = []
            appendObject(fields, to: &out, idDigitOffsets: &ignored)
        }
    }

    static func appendBigEndian<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        var big = value.bigEndian
        withUnsafeBytes(of: &big) { out.append(contentsOf: $0) }
    }
}
