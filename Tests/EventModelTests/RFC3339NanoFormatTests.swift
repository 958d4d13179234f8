import Foundation
import Testing
@testable import EventModel

@Suite struct RFC3339NanoFormatTests {
    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00Z"),
        (1, "1970-01-01T00:00:00.000000001Z"),
        (1_700_000_000_123_456_789, "2023-11-14T22:13:20.123456789Z"),
        (1_700_000_000_500_000_000, "2023-11-14T22:13:20.5Z"),
        (-1, "1969-12-31T23:59:59.999999999Z"),
        (1_709_164_800_000_000_000, "2024-02-29T00:00:00Z"),
        (951_782_400_001_000_000, "2000-02-29T00:00:00.001Z"),
        (Int64.max, "2262-04-11T23:47:16.854775807Z"),
        (Int64.min, "1677-09-21T00:12:43.145224192Z"),
    ])
    func formatsKnownInstants(nanos: Int64, expected: String) {
        #expect(formatted(nanos) == expected)
    }

    /// Cross-checks the date arithmetic against Foundation's Gregorian calendar over many instants.
    @Test func agreesWithFoundationCalendar() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var generator = SystemRandomNumberGenerator()
        let limit: Int64 = 9_000_000_000 // seconds, well inside Int64 nanoseconds
        for _ in 0..<2_000 {
            let seconds = Int64.random(in: -limit...limit, using: &generator)
            let parts = calendar.dateComponents(
                [.year, .month, .day, .hour, .minute, .second],
                from: Date(timeIntervalSince1970: TimeInterval(seconds))
            )
            let expected = String(
                format: "%04d-%02d-%02dT%02d:%02d:%02dZ",
                parts.year!, parts.month!, parts.day!, parts.hour!, parts.minute!, parts.second!
            )
            #expect(formatted(seconds * 1_000_000_000) == expected, "seconds \(seconds)")
        }
    }
}

/// Both entry points, checked against each other on every call.
private func formatted(_ nanos: Int64) -> String {
    var appended: [UInt8] = []
    EventTime.formatRFC3339Nano(nanos, into: &appended)
    var direct = [UInt8](repeating: 0, count: EventTime.maxRFC3339NanoBytes)
    let length = direct.withUnsafeMutableBufferPointer { EventTime.writeRFC3339Nano(nanos, to: $0.baseAddress!) }
    direct.removeLast(direct.count - length)
    #expect(appended == direct)
    return String(decoding: appended, as: UTF8.self)
}
