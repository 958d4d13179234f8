/// Go's RFC3339Nano in UTC ("2006-01-02T15:04:05.999999999Z"): trailing fraction zeros trimmed, no fraction
/// when it is zero. Days-from-civil arithmetic, no Foundation.
///
/// Ingest is getting `EventTime.formatRFC3339Nano`; this internal copy exists so Pipeline does not wait for
/// it, and can be replaced by it.
enum WALTimeFormat {
    /// "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ": every Int64 nanosecond time (years 1677…2262) fits.
    static let maxFormattedBytes = 30

    static let nanosPerSecond: Int64 = 1_000_000_000
    static let secondsPerDay: Int64 = 86_400

    /// Writes the formatted time at `out` (room for ``maxFormattedBytes``) and returns how many bytes it wrote.
    static func format(_ unixNanos: Int64, into out: UnsafeMutablePointer<UInt8>) -> Int {
        // Floor division without multiplying back, which would overflow near Int64.min.
        var seconds = unixNanos / nanosPerSecond
        var fraction = unixNanos % nanosPerSecond
        if fraction < 0 {
            seconds -= 1
            fraction += nanosPerSecond
        }
        var days = seconds / secondsPerDay
        var secondOfDay = seconds % secondsPerDay
        if secondOfDay < 0 {
            days -= 1
            secondOfDay += secondsPerDay
        }
        let (year, month, day) = civilDate(daysSinceEpoch: days)

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

    /// Convenience for tests and callers off the hot path.
    static func format(_ unixNanos: Int64) -> String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maxFormattedBytes) { buffer in
            let length = format(unixNanos, into: buffer.baseAddress!)
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[..<length]), as: UTF8.self)
        }
    }

    /// Proleptic Gregorian (year, month, day) of a day count since 1970-01-01 (Howard Hinnant's civil_from_days).
    static func civilDate(daysSinceEpoch: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = daysSinceEpoch + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
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
}
