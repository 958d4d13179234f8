/// RFC 3339 UTC timestamps with millisecond precision (`2024-05-01T12:34:56.789Z`), without Foundation.
public enum RFC3339 {
    public static func format(unixNanos: Int64) -> String {
        let millisTotal = unixNanos / 1_000_000
        var seconds = millisTotal / 1000
        let millis = Int(millisTotal % 1000)
        let days = seconds / 86_400
        seconds %= 86_400
        let (year, month, day) = civilFromDays(days)
        return "\(year)-\(pad(month, 2))-\(pad(day, 2))T\(pad(Int(seconds / 3600), 2)):"
            + "\(pad(Int(seconds % 3600 / 60), 2)):\(pad(Int(seconds % 60), 2)).\(pad(millis, 3))Z"
    }

    /// Howard Hinnant's days-to-civil algorithm.
    static func civilFromDays(_ daysSinceEpoch: Int64) -> (Int, Int, Int) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return (Int(year), Int(month), Int(day))
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}
