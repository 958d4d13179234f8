import EventModel

/// Encodes a batch into its WAL lines, one per event:
/// `{"dataset":"…","time":"<RFC3339Nano UTC>","samplerate":N,"key_id":"…","data":<data bytes verbatim>}\n`.
/// Runs on the submitting thread; the `data` bytes are copied, never re-parsed.
enum WALLineEncoder {
    /// "-9223372036854775808".
    static let maxSampleRateDigits = 20

    static func encode(_ batch: EventBatch) -> WALLineBuffer {
        encode(CollectionOfOne(batch))
    }

    /// All batches' lines in one buffer, in order (one OTLP request yields one batch per dataset).
    static func encode(_ batches: some Collection<EventBatch>) -> WALLineBuffer {
        // A first guess; `append` reserves exactly what each batch needs.
        let buffer = WALLineBuffer(capacity: batches.reduce(0) { $0 + $1.dataByteCount + $1.events.count * 128 })
        for batch in batches { append(batch, to: &buffer.storage) }
        return buffer
    }

    private static func append(_ batch: EventBatch, to buffer: inout ByteBuffer) {
        // Everything from `{` to the time's opening quote, and from `,"key_id"` to `"data":`, is the same
        // for every line of the batch.
        var head: [UInt8] = Array("{\"dataset\":\"".utf8)
        appendEscaped(batch.dataset, to: &head)
        head.append(contentsOf: "\",\"time\":\"".utf8)
        var keyAndDataKey: [UInt8] = Array(",\"key_id\":\"".utf8)
        appendEscaped(batch.keyID, to: &keyAndDataKey)
        keyAndDataKey.append(contentsOf: "\",\"data\":".utf8)
        let sampleRateKey = Array("\",\"samplerate\":".utf8)
        buffer.reserve(batch.dataByteCount + batch.events.count * (head.count + keyAndDataKey.count + sampleRateKey.count
            + EventTime.maxRFC3339NanoBytes + maxSampleRateDigits + 2))
        let bodyCount = batch.body.count
        batch.body.withUnsafeBytes { body in
            for event in batch.events {
                let range = event.dataRange
                precondition(
                    range.lowerBound >= 0 && range.upperBound <= bodyCount,
                    "EventRecord.dataRange \(range) outside a body of \(bodyCount) bytes"
                )
                buffer.append(head)
                buffer.appendInPlace(maximum: EventTime.maxRFC3339NanoBytes) {
                    EventTime.writeRFC3339Nano(event.timeUnixNanos, to: $0)
                }
                buffer.append(sampleRateKey)
                buffer.appendInPlace(maximum: maxSampleRateDigits) { writeDecimal(event.sampleRate, into: $0) }
                buffer.append(keyAndDataKey)
                buffer.append(UnsafeRawBufferPointer(rebasing: body[range]))
                buffer.append(UInt8(ascii: "}"))
                buffer.append(UInt8(ascii: "\n"))
            }
        }
    }

    /// JSON string contents: `"` and `\` escaped, every control character as `\u00XX`, all other UTF-8 verbatim.
    static func appendEscaped(_ string: String, to out: inout [UInt8]) {
        JSONStringEscaper.appendEscaped(string, controls: .unicode, to: &out)
    }

    /// Writes `value` in decimal at `out` (room for ``maxSampleRateDigits``); returns the byte count.
    static func writeDecimal(_ value: Int, into out: UnsafeMutablePointer<UInt8>) -> Int {
        var magnitude = value.magnitude
        var reversed: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                       UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        return withUnsafeMutableBytes(of: &reversed) { digits in
            var digitCount = 0
            repeat {
                digits[digitCount] = UInt8(truncatingIfNeeded: magnitude % 10) &+ UInt8(ascii: "0")
                magnitude /= 10
                digitCount += 1
            } while magnitude > 0
            var length = 0
            if value < 0 {
                out[0] = UInt8(ascii: "-")
                length = 1
            }
            while digitCount > 0 {
                digitCount -= 1
                out[length] = digits[digitCount]
                length += 1
            }
            return length
        }
    }
}
