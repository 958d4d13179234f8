import Foundation

/// An independent RFC 3339 → Unix nanoseconds conversion for checking fixture times: Foundation's
/// Gregorian calendar for the date and offset, digit arithmetic for the fraction.
public enum ReferenceTime {
    public static func unixNanos(_ text: String) -> Int64? {
        let scanner = Array(text.utf8)
        guard scanner.count >= 20 else { return nil }
        func number(_ range: Range<Int>) -> Int? { Int(String(decoding: scanner[range], as: UTF8.self)) }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19)
        else { return nil }
        var index = 19
        var fractionDigits = ""
        if scanner[index] == UInt8(ascii: ".") {
            index += 1
            while index < scanner.count, scanner[index] >= 0x30, scanner[index] <= 0x39 {
                fractionDigits.append(Character(Unicode.Scalar(scanner[index])))
                index += 1
            }
        }
        let zone = String(decoding: scanner[index...], as: UTF8.self)
        let offsetSeconds: Int
        if zone == "Z" {
            offsetSeconds = 0
        } else {
            let sign = zone.hasPrefix("-") ? -1 : 1
            let parts = zone.dropFirst().split(separator: ":").compactMap { Int($0) }
            guard parts.count == 2 else { return nil }
            offsetSeconds = sign * (parts[0] * 3600 + parts[1] * 60)
        }
        var calendar = Calendar(identifier: .gregorian)
        guard let zoneValue = TimeZone(secondsFromGMT: offsetSeconds) else { return nil }
        calendar.timeZone = zoneValue
        let components = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        guard let date = calendar.date(from: components) else { return nil }
        let seconds = Int64(date.timeIntervalSince1970.rounded())
        let nanos = Int64((fractionDigits + String(repeating: "0", count: 9)).prefix(9)) ?? 0
        return seconds * 1_000_000_000 + nanos
    }
}
