import EventModel

/// A msgpack time value: the standard timestamp extension (type −1, in its 4-, 8- and 12-byte forms) or
/// tinylib/msgp's own time extension (type 5, 12 bytes: int64 seconds, then uint32 nanoseconds), which
/// Refinery also accepts. All multi-byte fields are big-endian.
struct MsgPackTimestamp: Equatable {
    var seconds: Int64
    var nanoseconds: Int64

    static let standardExtensionType: Int8 = -1
    static let msgpExtensionType: Int8 = 5
    static let nanosPerSecond: Int64 = 1_000_000_000
    /// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the years RFC 3339 can write with four digits.
    static let firstFormattableSecond: Int64 = -62_135_596_800
    static let lastFormattableSecond: Int64 = 253_402_300_799

    init(seconds: Int64, nanoseconds: Int64) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    /// Decodes an extension payload; nil when `type`/`length` is not a time form or the nanoseconds are
    /// out of range (≥ 10⁹), as the spec forbids.
    init?(type: Int8, payload: UnsafePointer<UInt8>, length: Int) {
        switch (type, length) {
        case (Self.standardExtensionType, 4):
            self.init(seconds: Int64(Self.bigEndian(payload, 4)), nanoseconds: 0)
        case (Self.standardExtensionType, 8):
            let packed = Self.bigEndian(payload, 8)
            self.init(seconds: Int64(packed & 0x3_FFFF_FFFF), nanoseconds: Int64(packed >> 34))
        case (Self.standardExtensionType, 12):
            self.init(
                seconds: Int64(bitPattern: Self.bigEndian(payload + 4, 8)),
                nanoseconds: Int64(Self.bigEndian(payload, 4)))
        case (Self.msgpExtensionType, 12):
            self.init(
                seconds: Int64(bitPattern: Self.bigEndian(payload, 8)),
                nanoseconds: Int64(Self.bigEndian(payload + 8, 4)))
        default:
            return nil
        }
        guard nanoseconds < Self.nanosPerSecond else { return nil }
    }

    /// Unix nanoseconds; nil before 1970 (Go's zero time, year 0001, included) or past Int64's range,
    /// which the decoder treats as "no time" like ``EventTime/parse(_:)-(UnsafeRawBufferPointer)`` does.
    var unixNanos: Int64? {
        guard seconds >= 0 else { return nil }
        let (whole, overflowMultiply) = seconds.multipliedReportingOverflow(by: Self.nanosPerSecond)
        guard !overflowMultiply else { return nil }
        let (total, overflowAdd) = whole.addingReportingOverflow(nanoseconds)
        return overflowAdd ? nil : total
    }

    /// Years 0001 through 9999.
    var isFormattable: Bool {
        seconds >= Self.firstFormattableSecond && seconds <= Self.lastFormattableSecond
    }

    /// Appends Go's `time.RFC3339Nano` form in UTC (`2024-05-17T12:34:56.789123456Z`, trailing zeros of
    /// the fraction trimmed, no fraction when zero), without quotes. Requires ``isFormattable``.
    func appendRFC3339Nano(to output: inout ByteBuffer) {
        output.appendInPlace(maximum: EventTime.maxRFC3339NanoBytes) {
            EventTime.writeRFC3339Nano(seconds: seconds, nanoseconds: nanoseconds, to: $0)
        }
    }

    private static func bigEndian(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> UInt64 {
        var value: UInt64 = 0
        for index in 0..<count { value = value << 8 | UInt64(bytes[index]) }
        return value
    }
}
