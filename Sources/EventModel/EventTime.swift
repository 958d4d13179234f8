/// Honeycomb event times: parsing every format clients send, and Go's RFC3339Nano for output.
///
/// Accepted formats (the result is Unix nanoseconds, UTC):
/// - RFC 3339 / ISO 8601 date-time: `YYYY-MM-DDThh:mm:ss[.fraction][offset]`.
///   - The separator may be `T`, `t` or a space.
///   - The fraction may have any number of digits; digits past the 9th (nanoseconds) are truncated.
///   - The offset may be `Z`, `z`, `±hh:mm` or `±hhmm`; with no offset at all the time is taken as UTC.
///   - Fields are range-checked (month 1–12, day within the month, leap years, hour 0–23, minute and
///     second 0–59; a leap second `60` is rejected, as Go's parser does).
/// - Integer epoch (digits only; Refinery's rule): exactly 10 digits are seconds; more than 10 digits are
///   10 digits of seconds followed by a fraction (so 13 digits are milliseconds, 16 microseconds,
///   19 nanoseconds, and further digits are truncated); fewer than 10 digits are seconds.
/// - Float seconds: `1715949296.789`, also with an exponent (`1.715949296789e9`), converted exactly from
///   the decimal text (no binary rounding).
/// Leading and trailing spaces and tabs are ignored. A sign (`-`, `+`) on an epoch is not accepted.
///
/// nil (the caller then uses the receive time) for anything else, and for instants before the Unix
/// epoch (this includes Go's zero time, year 0001, which Refinery forwards for "no time") or past the
/// Int64 nanosecond range (2262-04-11T23:47:16.854775807Z).
public enum EventTime {
    static let nanosPerSecond: Int64 = 1_000_000_000
    static let secondsPerDay = CivilCalendar.secondsPerDay
    /// Largest whole second whose nanoseconds still fit in Int64.
    static let maxSeconds: Int64 = Int64.max / nanosPerSecond
    /// Digits of an integer epoch that are seconds; further digits are a fraction (Refinery's rule).
    static let epochSecondDigits = 10

    public static func parse(_ text: UnsafeRawBufferPointer) -> Int64? {
        guard let base = text.baseAddress else { return nil }
        var start = 0
        var end = text.count
        while start < end, isBlank(text[start]) { start += 1 }
        while end > start, isBlank(text[end - 1]) { end -= 1 }
        let bytes = UnsafeRawBufferPointer(start: base + start, count: end - start)
        if bytes.count >= 10, bytes[4] == UInt8(ascii: "-") {
            return parseRFC3339(bytes)
        }
        return parseEpoch(bytes)
    }

    public static func parse(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8 { parse(UnsafeRawBufferPointer($0)) }
    }

    /// Appends Go's `time.RFC3339Nano` form of the instant, in UTC: `2024-05-17T12:34:56.789123456Z`, with
    /// trailing zeros of the fraction trimmed and no fraction at all when it is zero.
    public static func formatRFC3339Nano(_ unixNanos: Int64, into buffer: inout [UInt8]) {
        let start = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: maxRFC3339NanoBytes))
        let length = buffer.withUnsafeMutableBufferPointer { writeRFC3339Nano(unixNanos, to: $0.baseAddress! + start) }
        buffer.removeLast(maxRFC3339NanoBytes - length)
    }

    /// "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ": every Int64 nanosecond time (years 1677…2262) fits.
    public static let maxRFC3339NanoBytes = 30

    /// The same format written at `out` (room for ``maxRFC3339NanoBytes``); returns the bytes written.
    /// For writers that fill their own buffers (the WAL line encoder).
    public static func writeRFC3339Nano(_ unixNanos: Int64, to out: UnsafeMutablePointer<UInt8>) -> Int {
        // Floor division without multiplying back, which would overflow near Int64.min.
        var seconds = unixNanos / nanosPerSecond
        var fraction = unixNanos % nanosPerSecond
        if fraction < 0 {
            seconds -= 1
            fraction += nanosPerSecond
        }
        return writeRFC3339Nano(seconds: seconds, nanoseconds: fraction, to: out)
    }

    /// The same format for a whole second and its nanoseconds (0..<1e9), for instants outside Int64
    /// nanoseconds (msgpack timestamps reach years 1…9999). Writes at most ``maxRFC3339NanoBytes``.
    public static func writeRFC3339Nano(seconds: Int64, nanoseconds: Int64, to out: UnsafeMutablePointer<UInt8>) -> Int {
        var fraction = nanoseconds
        let (days, secondOfDay) = CivilCalendar.split(epochSeconds: seconds)
        let (year, month, day) = CivilCalendar.date(fromDays: days)
        writeDigits(year, count: 4, at: out)
        out[4] = UInt8(ascii: "-")
        writeDigits(month, count: 2, at: out + 5)
        out[7] = UInt8(ascii: "-")
        writeDigits(day, count: 2, at: out + 8)
        out[10] = UInt8(ascii: "T")
        writeDigits(secondOfDay / 3600, count: 2, at: out + 11)
        out[13] = UInt8(ascii: ":")
        writeDigits(secondOfDay / 60 % 60, count: 2, at: out + 14)
        out[16] = UInt8(ascii: ":")
        writeDigits(secondOfDay % 60, count: 2, at: out + 17)
        var length = 19
        if fraction != 0 {
            var digits = 9
            while fraction % 10 == 0 {
                fraction /= 10
                digits -= 1
            }
            out[length] = UInt8(ascii: ".")
            writeDigits(fraction, count: digits, at: out + length + 1)
            length += 1 + digits
        }
        out[length] = UInt8(ascii: "Z")
        return length + 1
    }

    private static func writeDigits(_ value: Int64, count: Int, at out: UnsafeMutablePointer<UInt8>) {
        var remaining = value
        var index = count - 1
        while index >= 0 {
            out[index] = UInt8(truncatingIfNeeded: remaining % 10) &+ UInt8(ascii: "0")
            remaining /= 10
            index -= 1
        }
    }

    // MARK: RFC 3339

    private static func parseRFC3339(_ bytes: UnsafeRawBufferPointer) -> Int64? {
        var cursor = Cursor(bytes: bytes)
        guard let year = cursor.digits(4), cursor.take("-"),
              let month = cursor.digits(2), cursor.take("-"),
              let day = cursor.digits(2)
        else { return nil }
        guard cursor.take("T") || cursor.take("t") || cursor.take(" ") else { return nil }
        guard let hour = cursor.digits(2), cursor.take(":"),
              let minute = cursor.digits(2), cursor.take(":"),
              let second = cursor.digits(2)
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= CivilCalendar.daysInMonth(year: year, month: month),
              hour <= 23, minute <= 59, second <= 59
        else { return nil }
        var nanos: Int64 = 0
        if cursor.take(".") {
            var digitCount = 0
            while let digit = cursor.digit() {
                if digitCount < 9 { nanos = nanos * 10 + digit }
                digitCount += 1
            }
            guard digitCount > 0 else { return nil }
            for _ in min(digitCount, 9)..<9 { nanos *= 10 }
        }
        var offsetSeconds: Int64 = 0
        if cursor.take("Z") || cursor.take("z") {
            // UTC
        } else if cursor.peek == UInt8(ascii: "+") || cursor.peek == UInt8(ascii: "-") {
            let sign: Int64 = cursor.take("-") ? -1 : 1
            if sign == 1 { _ = cursor.take("+") }
            guard let offsetHours = cursor.digits(2) else { return nil }
            _ = cursor.take(":")
            guard let offsetMinutes = cursor.digits(2), offsetHours <= 23, offsetMinutes <= 59 else { return nil }
            offsetSeconds = sign * (offsetHours * 3600 + offsetMinutes * 60)
        }
        guard cursor.atEnd else { return nil }
        let days = CivilCalendar.days(year: year, month: month, day: day)
        let seconds = days * secondsPerDay + hour * 3600 + minute * 60 + second - offsetSeconds
        return nanosSinceEpoch(seconds: seconds, nanos: nanos)
    }

    // MARK: epoch numbers

    /// Digits (Refinery's rule), or a decimal with optional fraction and exponent (float seconds).
    private static func parseEpoch(_ bytes: UnsafeRawBufferPointer) -> Int64? {
        guard !bytes.isEmpty else { return nil }
        var integerDigits = 0
        while integerDigits < bytes.count, isDigit(bytes[integerDigits]) { integerDigits += 1 }
        if integerDigits == bytes.count {
            return parseEpochDigits(bytes)
        }
        return parseDecimalSeconds(bytes)
    }

    private static func parseEpochDigits(_ bytes: UnsafeRawBufferPointer) -> Int64? {
        var seconds: Int64 = 0
        var nanos: Int64 = 0
        for (index, byte) in bytes.enumerated() {
            let digit = Int64(byte &- UInt8(ascii: "0"))
            if index < epochSecondDigits {
                seconds = seconds * 10 + digit
            } else if index < epochSecondDigits + 9 {
                nanos = nanos * 10 + digit
            }
        }
        if bytes.count > epochSecondDigits {
            for _ in min(bytes.count - epochSecondDigits, 9)..<9 { nanos *= 10 }
        }
        return nanosSinceEpoch(seconds: seconds, nanos: nanos)
    }

    /// `digits[.digits][(e|E)[+|-]digits]`, at least one mantissa digit, read exactly in decimal.
    private static func parseDecimalSeconds(_ bytes: UnsafeRawBufferPointer) -> Int64? {
        var cursor = Cursor(bytes: bytes)
        var mantissa: [Int64] = []
        while let digit = cursor.digit() { mantissa.append(digit) }
        var pointPosition = mantissa.count
        if cursor.take(".") {
            while let digit = cursor.digit() { mantissa.append(digit) }
        }
        guard !mantissa.isEmpty else { return nil }
        if cursor.take("e") || cursor.take("E") {
            let sign = cursor.take("-") ? -1 : 1
            if sign == 1 { _ = cursor.take("+") }
            var exponent = 0
            var exponentDigits = 0
            while let digit = cursor.digit() {
                exponent = min(exponent * 10 + Int(digit), 1_000)  // saturate: far beyond any usable time
                exponentDigits += 1
            }
            guard exponentDigits > 0 else { return nil }
            pointPosition += sign * exponent
        }
        guard cursor.atEnd else { return nil }
        var seconds: Int64 = 0
        var nanos: Int64 = 0
        let lastIndex = max(mantissa.count, pointPosition)
        for index in 0..<lastIndex {
            let digit = index < mantissa.count ? mantissa[index] : 0
            if index < pointPosition {
                let (shifted, overflowShift) = seconds.multipliedReportingOverflow(by: 10)
                guard !overflowShift, shifted <= maxSeconds else { return nil }
                seconds = shifted + digit
            } else {
                // Past the point; with a negative point position the leading zeros are implied here.
                let fractionIndex = index - pointPosition
                if fractionIndex >= 9 { break }
                nanos += digit * pow10(8 - fractionIndex)
            }
        }
        return nanosSinceEpoch(seconds: seconds, nanos: nanos)
    }

    // MARK: helpers

    private static func nanosSinceEpoch(seconds: Int64, nanos: Int64) -> Int64? {
        guard seconds >= 0 else { return nil }
        let (whole, overflowMultiply) = seconds.multipliedReportingOverflow(by: nanosPerSecond)
        guard !overflowMultiply else { return nil }
        let (total, overflowAdd) = whole.addingReportingOverflow(nanos)
        return overflowAdd ? nil : total
    }

    private static func pow10(_ exponent: Int) -> Int64 {
        var value: Int64 = 1
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    private static func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// Forward-only reader over ASCII bytes.
    private struct Cursor {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        var atEnd: Bool { index == bytes.count }
        var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func take(_ character: Unicode.Scalar) -> Bool {
            guard index < bytes.count, bytes[index] == UInt8(ascii: character) else { return false }
            index += 1
            return true
        }

        mutating func digit() -> Int64? {
            guard index < bytes.count, EventTime.isDigit(bytes[index]) else { return nil }
            index += 1
            return Int64(bytes[index - 1] &- UInt8(ascii: "0"))
        }

        /// Exactly `count` digits as a number.
        mutating func digits(_ count: Int) -> Int64? {
            guard index + count <= bytes.count else { return nil }
            var value: Int64 = 0
            for _ in 0..<count {
                guard let digit = digit() else { return nil }
                value = value * 10 + digit
            }
            return value
        }
    }
}
