/// The `Date` header value (IMF-fixdate, RFC 9110 §5.6.7) for a caller-supplied Unix time,
/// re-formatted only when the second changes. A pure value: no clock, no Foundation.
public struct DateHeaderCache: Sendable {
    private var cachedEpochSeconds = Int.min
    private var cachedBytes: [UInt8] = []

    /// Earliest and latest instants IMF-fixdate's four-digit year can express here
    /// (1970-01-01T00:00:00Z … 9999-12-31T23:59:59Z); times outside are clamped.
    public static let supportedEpochSeconds: ClosedRange<Int> = 0...253_402_300_799

    public init() {}

    /// `"Sun, 06 Nov 1994 08:49:37 GMT"` as 29 ASCII bytes for `epochSeconds`. Within one second the
    /// same array is returned again (no formatting, no allocation).
    public mutating func httpDate(epochSeconds: Int) -> [UInt8] {
        if epochSeconds != cachedEpochSeconds {
            cachedBytes = Self.format(epochSeconds: epochSeconds)
            cachedEpochSeconds = epochSeconds
        }
        return cachedBytes
    }

    /// Formats without caching.
    public static func format(epochSeconds: Int) -> [UInt8] {
        let seconds = min(max(epochSeconds, supportedEpochSeconds.lowerBound), supportedEpochSeconds.upperBound)
        let days = seconds / 86_400
        let secondOfDay = seconds % 86_400
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        let weekday = (days + 4) % 7  // 1970-01-01 was a Thursday; 0 = Sunday

        let weekdayNames: StaticString = "SunMonTueWedThuFriSat"
        let monthNames: StaticString = "JanFebMarAprMayJunJulAugSepOctNovDec"
        var bytes: [UInt8] = []
        bytes.reserveCapacity(29)
        func appendName(_ names: StaticString, _ index: Int) {
            let start = names.utf8Start + index * 3
            bytes.append(contentsOf: UnsafeBufferPointer(start: start, count: 3))
        }
        func appendDigits(_ value: Int, width: Int) {
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            while divisor > 0 {
                bytes.append(UInt8(truncatingIfNeeded: 0x30 + (value / divisor) % 10))
                divisor /= 10
            }
        }
        appendName(weekdayNames, weekday)
        bytes.append(contentsOf: [UInt8(ascii: ","), UInt8(ascii: " ")])
        appendDigits(day, width: 2)
        bytes.append(UInt8(ascii: " "))
        appendName(monthNames, month - 1)
        bytes.append(UInt8(ascii: " "))
        appendDigits(year, width: 4)
        bytes.append(UInt8(ascii: " "))
        appendDigits(secondOfDay / 3600, width: 2)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(secondOfDay / 60 % 60, width: 2)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(secondOfDay % 60, width: 2)
        bytes.append(contentsOf: " GMT".utf8)
        return bytes
    }

    /// Proleptic Gregorian (year, month 1–12, day 1–31) for days since 1970-01-01
    /// (H. Hinnant's days-to-civil algorithm; days ≥ 0 here).
    static func civilDate(daysSinceEpoch days: Int) -> (year: Int, month: Int, day: Int) {
        let shifted = days + 719_468  // days since 0000-03-01
        let era = shifted / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }
}
