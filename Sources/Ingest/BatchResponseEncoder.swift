/// The `/1/batch` reply body: an array with one entry per submitted event, in order. An accepted event is
/// `{"status":202}`; a rejected one is `{"status":<code>,"error":"<message>"}` (`error` only on failures,
/// as Honeycomb answers).
///
/// Use ``json(_:)`` for JSON requests and ``msgpack(_:)`` (with `Content-Type: application/msgpack`) when
/// the request was msgpack: libhoney-go and Refinery decode the reply by its Content-Type.
public enum BatchResponseEncoder {
    private static let acceptedJSON = Array(#"{"status":202}"#.utf8)

    /// Compact JSON, no spaces: `[{"status":202},{"status":400,"error":"…"}]`.
    public static func json(_ statuses: [EventStatus]) -> [UInt8] {
        var body: [UInt8] = []
        body.reserveCapacity(2 + statuses.count * (acceptedJSON.count + 1))
        body.append(UInt8(ascii: "["))
        for (index, status) in statuses.enumerated() {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            switch status {
            case .accepted:
                body.append(contentsOf: acceptedJSON)
            case .rejected(let code, let message):
                body.append(contentsOf: #"{"status":"#.utf8)
                body.append(contentsOf: String(code).utf8)
                body.append(contentsOf: #","error":""#.utf8)
                appendJSONEscaped(message, to: &body)
                body.append(contentsOf: #""}"#.utf8)
            }
        }
        body.append(UInt8(ascii: "]"))
        return body
    }

    /// A msgpack array (fixarray, array16 or array32 by count) of maps: `{"status": int}` (fixmap 1) or
    /// `{"status": int, "error": str}` (fixmap 2). Integers and strings take their smallest msgpack form.
    public static func msgpack(_ statuses: [EventStatus]) -> [UInt8] {
        var body: [UInt8] = []
        body.reserveCapacity(5 + statuses.count * 10)
        appendArrayHeader(statuses.count, to: &body)
        for status in statuses {
            switch status {
            case .accepted:
                body.append(0x81)
                appendString("status", to: &body)
                appendInteger(202, to: &body)
            case .rejected(let code, let message):
                body.append(0x82)
                appendString("status", to: &body)
                appendInteger(code, to: &body)
                appendString("error", to: &body)
                appendString(message, to: &body)
            }
        }
        return body
    }

    // MARK: JSON

    private static func appendJSONEscaped(_ text: String, to body: inout [UInt8]) {
        let hexDigits = Array("0123456789abcdef".utf8)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): body.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): body.append(contentsOf: #"\\"#.utf8)
            case 0x0A: body.append(contentsOf: #"\n"#.utf8)
            case 0x0D: body.append(contentsOf: #"\r"#.utf8)
            case 0x09: body.append(contentsOf: #"\t"#.utf8)
            case 0..<0x20:
                body.append(contentsOf: #"\u00"#.utf8)
                body.append(hexDigits[Int(byte >> 4)])
                body.append(hexDigits[Int(byte & 0x0F)])
            default: body.append(byte)
            }
        }
    }

    // MARK: msgpack

    private static func appendArrayHeader(_ count: Int, to body: inout [UInt8]) {
        if count < 16 {
            body.append(0x90 | UInt8(count))
        } else if count <= Int(UInt16.max) {
            body.append(0xDC)
            appendBigEndian(UInt64(count), bytes: 2, to: &body)
        } else {
            body.append(0xDD)
            appendBigEndian(UInt64(count), bytes: 4, to: &body)
        }
    }

    private static func appendString(_ text: String, to body: inout [UInt8]) {
        let utf8 = Array(text.utf8)
        if utf8.count < 32 {
            body.append(0xA0 | UInt8(utf8.count))
        } else if utf8.count <= Int(UInt8.max) {
            body.append(0xD9)
            body.append(UInt8(utf8.count))
        } else if utf8.count <= Int(UInt16.max) {
            body.append(0xDA)
            appendBigEndian(UInt64(utf8.count), bytes: 2, to: &body)
        } else {
            body.append(0xDB)
            appendBigEndian(UInt64(utf8.count), bytes: 4, to: &body)
        }
        body.append(contentsOf: utf8)
    }

    private static func appendInteger(_ value: Int, to body: inout [UInt8]) {
        switch value {
        case 0..<128:
            body.append(UInt8(value))
        case 128...Int(UInt8.max):
            body.append(0xCC)
            body.append(UInt8(value))
        case 256...Int(UInt16.max):
            body.append(0xCD)
            appendBigEndian(UInt64(value), bytes: 2, to: &body)
        case 65_536...Int(UInt32.max):
            body.append(0xCE)
            appendBigEndian(UInt64(value), bytes: 4, to: &body)
        case -32..<0:
            body.append(UInt8(bitPattern: Int8(value)))
        default:
            body.append(0xD3)
            appendBigEndian(UInt64(bitPattern: Int64(value)), bytes: 8, to: &body)
        }
    }

    private static func appendBigEndian(_ value: UInt64, bytes: Int, to body: inout [UInt8]) {
        for shift in stride(from: (bytes - 1) * 8, through: 0, by: -8) {
            body.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
        }
    }
}
