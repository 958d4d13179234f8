import EventModel

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
        let date = CivilCalendar.date(fromDays: Int64(days))
        let (year, month, day) = (Int(date.year), Int(date.month), Int(date.day))
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
}
