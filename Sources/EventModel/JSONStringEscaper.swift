/// The server's one JSON string escaper: raw UTF-8 text → JSON string contents (no quotes), validating
/// UTF-8 on the way (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF). Escapes only what JSON
/// requires: `"`, `\`, and control characters (`\n`, `\r`, `\t` short, the rest as `\u00XX`); everything
/// else, non-ASCII included, is copied as is. Invalid UTF-8 is refused (msgpack events) or replaced by
/// U+FFFD per byte, as Go's encoder does (OTLP).
public enum JSONStringEscaper {
    /// What to do with bytes that are not valid UTF-8.
    public enum InvalidUTF8: Sendable {
        /// Stop and report failure.
        case reject
        /// Write U+FFFD for each invalid byte.
        case replace
    }

    /// How control characters with a short JSON escape (`\n`, `\r`, `\t`) are written.
    public enum ControlEscapes: Sendable {
        /// `\n`, `\r`, `\t`.
        case short
        /// `\u000a`, `\u000d`, `\u0009`, like every other control character (the WAL and load-generator
        /// formats, fixed by their tests).
        case unicode
    }

    /// Input bytes escaped per reservation by ``appendEscaped(_:count:invalidUTF8:into:)``, so a long string
    /// reserves a bounded worst case instead of six times its length at once.
    static let chunkBytes = 4096

    private static let hexDigits: StaticString = "0123456789abcdef"
    private static let lowBytes: UInt64 = 0x0101_0101_0101_0101
    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// The high bit of each of the 8 bytes that needs attention: non-ASCII, below 0x20, `"` or `\`. The
    /// lowest flagged byte is exact (borrows only run upward), so `trailingZeroBitCount / 8` finds it.
    @inline(__always)
    private static func attentionBits(_ word: UInt64) -> UInt64 {
        let quotes = word ^ (lowBytes &* 0x22)
        let backslashes = word ^ (lowBytes &* 0x5C)
        let flagged = (word &- lowBytes &* 0x20) & ~word
            | (quotes &- lowBytes) & ~quotes
            | (backslashes &- lowBytes) & ~backslashes
            | word
        return flagged & highBits
    }

    /// Output bytes to reserve before ``unsafeAppendEscaped(_:_:readableEnd:to:)`` for `length` input bytes.
    @inline(__always)
    public static func reservation(forLength length: Int) -> Int { length * 6 + 8 }

    /// Length of the valid UTF-8 sequence starting at `bytes[0]` (a byte ≥ 0x80), or 0 if invalid.
    @inline(__always)
    public static func sequenceLength(_ bytes: UnsafePointer<UInt8>, available: Int) -> Int {
        let lead = bytes[0]
        func continuation(_ index: Int) -> Bool { bytes[index] & 0xC0 == 0x80 }
        switch lead {
        case 0xC2...0xDF:
            return available >= 2 && continuation(1) ? 2 : 0
        case 0xE0...0xEF:
            guard available >= 3, continuation(1), continuation(2) else { return 0 }
            if lead == 0xE0 && bytes[1] < 0xA0 { return 0 }  // overlong
            if lead == 0xED && bytes[1] > 0x9F { return 0 }  // UTF-16 surrogate
            return 3
        case 0xF0...0xF4:
            guard available >= 4, continuation(1), continuation(2), continuation(3) else { return 0 }
            if lead == 0xF0 && bytes[1] < 0x90 { return 0 }  // overlong
            if lead == 0xF4 && bytes[1] > 0x8F { return 0 }  // above U+10FFFF
            return 4
        default:
            return 0
        }
    }

    /// Appends the escaped contents of `count` bytes, reserving room as it goes; false (with part of the
    /// text written) only when `invalidUTF8` is `.reject` and the bytes are not valid UTF-8.
    public static func appendEscaped(
        _ bytes: UnsafePointer<UInt8>, count: Int, invalidUTF8: InvalidUTF8 = .replace, into output: inout ByteBuffer
    ) -> Bool {
        var start = 0
        while start < count {
            var chunk = min(count - start, chunkBytes)
            // Never split a UTF-8 sequence between two chunks.
            if start + chunk < count {
                while chunk > 1 && bytes[start + chunk] & 0xC0 == 0x80 { chunk -= 1 }
            }
            output.reserve(reservation(forLength: chunk))
            guard unsafeAppendEscaped(
                bytes + start, chunk, readableEnd: bytes + start + chunk, invalidUTF8: invalidUTF8, to: &output
            ) else { return false }
            start += chunk
        }
        return true
    }

    /// Appends the escaped contents (no quotes) of `length` bytes; false if they are not valid UTF-8 and
    /// `invalidUTF8` is `.reject`. The caller has reserved ``reservation(forLength:)`` bytes. Memory up to
    /// `readableEnd` (at least `bytes + length`) may be read, so a short string's tail is checked as one
    /// 8-byte word.
    @inline(__always)
    public static func unsafeAppendEscaped(
        _ bytes: UnsafePointer<UInt8>, _ length: Int, readableEnd: UnsafePointer<UInt8>,
        invalidUTF8: InvalidUTF8 = .reject, to output: inout ByteBuffer
    ) -> Bool {
        let out = output.base
        var written = output.count
        var index = 0
        defer { output.count = written }
        while index < length {
            let remaining = length - index
            if remaining >= 8 || bytes + index + 8 <= readableEnd {
                let word = UnsafeRawPointer(bytes + index).loadUnaligned(as: UInt64.self)
                let usable = remaining >= 8 ? UInt64.max : (UInt64(1) << UInt64(remaining * 8)) &- 1
                let attention = attentionBits(word) & usable
                UnsafeMutableRawPointer(out + written).storeBytes(of: word, as: UInt64.self)
                if attention == 0 {
                    let step = min(remaining, 8)
                    index &+= step
                    written &+= step
                    continue
                }
                let plain = attention.trailingZeroBitCount &>> 3
                index &+= plain
                written &+= plain
            }
            let byte = bytes[index]
            if byte >= 0x80 {
                let sequence = sequenceLength(bytes + index, available: length - index)
                guard sequence > 0 else {
                    guard invalidUTF8 == .replace else { return false }
                    out[written] = 0xEF  // U+FFFD
                    out[written + 1] = 0xBF
                    out[written + 2] = 0xBD
                    written += 3
                    index += 1
                    continue
                }
                for offset in 0..<sequence { out[written + offset] = bytes[index + offset] }
                index += sequence
                written += sequence
                continue
            }
            index += 1
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                out[written] = UInt8(ascii: "\\")
                out[written + 1] = byte
                written += 2
            case 0x0A, 0x0D, 0x09:
                out[written] = UInt8(ascii: "\\")
                out[written + 1] = byte == 0x0A ? UInt8(ascii: "n") : byte == 0x0D ? UInt8(ascii: "r") : UInt8(ascii: "t")
                written += 2
            case 0..<0x20:
                let hex = hexDigits.utf8Start
                out[written] = UInt8(ascii: "\\")
                out[written + 1] = UInt8(ascii: "u")
                out[written + 2] = UInt8(ascii: "0")
                out[written + 3] = UInt8(ascii: "0")
                out[written + 4] = hex[Int(byte >> 4)]
                out[written + 5] = hex[Int(byte & 0x0F)]
                written += 6
            default:
                out[written] = byte
                written += 1
            }
        }
        return true
    }

    /// How many bytes ``unsafeAppendEscaped(_:_:readableEnd:to:)`` would write, or nil if the bytes are not valid UTF-8.
    public static func escapedLength(_ bytes: UnsafePointer<UInt8>, _ length: Int) -> Int? {
        var total = 0
        var index = 0
        while index < length {
            let byte = bytes[index]
            if byte >= 0x80 {
                let sequence = sequenceLength(bytes + index, available: length - index)
                guard sequence > 0 else { return nil }
                index += sequence
                total += sequence
                continue
            }
            index += 1
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), 0x0A, 0x0D, 0x09: total += 2
            case 0..<0x20: total += 6
            default: total += 1
            }
        }
        return total
    }

    /// Appends `string`'s contents escaped for a JSON string literal (without the quotes), for the few
    /// strings the server writes itself (error texts, log lines, WAL dataset names). A Swift string is
    /// valid UTF-8, so only the escapes matter here.
    public static func appendEscaped(_ string: String, controls: ControlEscapes = .short, to out: inout [UInt8]) {
        let hex = hexDigits.utf8Start
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                out.append(UInt8(ascii: "\\"))
                out.append(byte)
            case 0x0A where controls == .short: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D where controls == .short: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09 where controls == .short: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]])
            default:
                out.append(byte)
            }
        }
    }
}
