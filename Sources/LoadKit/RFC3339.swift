import EventModel

/// RFC 3339 UTC timestamps with millisecond precision (`2024-05-01T12:34:56.789Z`), without Foundation.
public enum RFC3339 {
    public static func format(unixNanos: Int64) -> String {
        let millisTotal = unixNanos / 1_000_000
        var seconds = millisTotal / 1000
        let millis = Int(millisTotal % 1000)
        let days = seconds / 86_400
        seconds %= 86_400
        let date = CivilCalendar.date(fromDays: days)
        let (year, month, day) = (Int(date.year), Int(date.month), Int(date.day))
        return "\(year)-\(pad(month, 2))-\(pad(day, 2))T\(pad(Int(seconds / 3600), 2)):"
            + "\(pad(Int(seconds % 3600 / 60), 2)):\(pad(Int(seconds % 60), 2)).\(pad(millis, 3))Z"
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}
