import Foundation
import EventModel
import TestSupport
import Testing

@Suite struct EventTimeTests {
    /// 2024-05-17T12:34:56Z
    static let base: Int64 = 1_715_949_296 * 1_000_000_000

    static let rfc3339Cases: [(String, Int64)] = [
        ("2024-05-17T12:34:56Z", EventTimeTests.base),
        ("2024-05-17T12:34:56.7Z", EventTimeTests.base + 700_000_000),
        ("2024-05-17T12:34:56.78Z", EventTimeTests.base + 780_000_000),
        ("2024-05-17T12:34:56.789Z", EventTimeTests.base + 789_000_000),
        ("2024-05-17T12:34:56.7891Z", EventTimeTests.base + 789_100_000),
        ("2024-05-17T12:34:56.78912Z", EventTimeTests.base + 789_120_000),
        ("2024-05-17T12:34:56.789123Z", EventTimeTests.base + 789_123_000),
        ("2024-05-17T12:34:56.7891234Z", EventTimeTests.base + 789_123_400),
        ("2024-05-17T12:34:56.78912345Z", EventTimeTests.base + 789_123_450),
        ("2024-05-17T12:34:56.789123456Z", EventTimeTests.base + 789_123_456),
        ("2024-05-17T12:34:56.7891234567891Z", EventTimeTests.base + 789_123_456),
        ("2024-05-17T12:34:56.000000000Z", EventTimeTests.base),
        ("2024-05-17T14:34:56+02:00", EventTimeTests.base),
        ("2024-05-17T05:34:56.5-07:00", EventTimeTests.base + 500_000_000),
        ("2024-05-17T14:04:56+0130", EventTimeTests.base),
        ("2024-05-17T12:34:56+00:00", EventTimeTests.base),
        ("2024-05-17t12:34:56z", EventTimeTests.base),
        ("2024-05-17 12:34:56Z", EventTimeTests.base),
        ("2024-05-17T12:34:56", EventTimeTests.base),
        ("  2024-05-17T12:34:56Z\t", EventTimeTests.base),
        ("1970-01-01T00:00:00Z", 0),
        ("2024-02-29T00:00:00Z", 1_709_164_800 * 1_000_000_000),
        ("2000-02-29T00:00:00Z", 951_782_400 * 1_000_000_000),
        ("2262-04-11T23:47:16.854775807Z", Int64.max),
        ("1970-01-01T01:00:00+01:00", 0),
    ]

    @Test(arguments: rfc3339Cases)
    func rfc3339(text: String, expected: Int64) {
        #expect(EventTime.parse(text) == expected, "\(text)")
    }

    static let epochCases: [(String, Int64)] = [
        ("1715949296", EventTimeTests.base),
        ("1715949296789", EventTimeTests.base + 789_000_000),
        ("1715949296789123", EventTimeTests.base + 789_123_000),
        ("1715949296789123456", EventTimeTests.base + 789_123_456),
        ("17159492967891234567", EventTimeTests.base + 789_123_456),
        ("171594929", 171_594_929 * 1_000_000_000),
        ("0", 0),
        ("1715949296.789", EventTimeTests.base + 789_000_000),
        ("1715949296.5", EventTimeTests.base + 500_000_000),
        ("1715949296.", EventTimeTests.base),
        (".5", 500_000_000),
        ("1715949296.7891234567", EventTimeTests.base + 789_123_456),
        ("1.715949296789e9", EventTimeTests.base + 789_000_000),
        ("1715949296789e-3", EventTimeTests.base + 789_000_000),
        ("17159492.96E+2", EventTimeTests.base),
        ("5e-1", 500_000_000),
        ("5e-10", 0),
    ]

    @Test(arguments: epochCases)
    func epochNumbers(text: String, expected: Int64) {
        #expect(EventTime.parse(text) == expected, "\(text)")
    }

    @Test(arguments: [
        "", "   ", "garbage", "2024-05-17", "2024-05-17T12:34", "2024-05-17T12:34:56.Z", "2024-13-01T00:00:00Z",
        "2024-00-10T00:00:00Z", "2023-02-29T00:00:00Z", "2024-04-31T00:00:00Z", "2024-05-17T24:00:00Z",
        "2024-05-17T12:60:00Z", "2024-05-17T12:34:60Z", "2024-05-17T12:34:56+24:00", "2024-05-17T12:34:56+02",
        "2024-05-17T12:34:56Zjunk", "2024-05-17X12:34:56Z", "24-05-17T12:34:56Z",
        "0001-01-01T00:00:00Z", "1969-12-31T23:59:59Z", "1970-01-01T00:00:00+00:01", "2262-04-11T23:47:16.854775808Z",
        "9999-12-31T23:59:59Z",
        "-1715949296", "+1715949296", "1715949296x", "0x10", "1.2.3", "1e", "e5", ".", "1715949296.5e",
        "99999999999.5", "1e400", "NaN", "Infinity",
    ])
    func unparseable(text: String) {
        #expect(EventTime.parse(text) == nil, "\(text)")
    }

    @Test func rawBufferParsing() {
        let bytes = Array("2024-05-17T12:34:56.789123456Z".utf8)
        #expect(bytes.withUnsafeBytes { EventTime.parse($0) } == Self.base + 789_123_456)
        #expect(EventTime.parse(UnsafeRawBufferPointer(start: nil, count: 0)) == nil)
    }

    static let formattingCases: [(Int64, String)] = [
        (EventTimeTests.base + 789_123_456, "2024-05-17T12:34:56.789123456Z"),
        (EventTimeTests.base + 789_000_000, "2024-05-17T12:34:56.789Z"),
        (EventTimeTests.base + 100, "2024-05-17T12:34:56.0000001Z"),
        (EventTimeTests.base, "2024-05-17T12:34:56Z"),
        (0, "1970-01-01T00:00:00Z"),
        (Int64.max, "2262-04-11T23:47:16.854775807Z"),
        (-1, "1969-12-31T23:59:59.999999999Z"),
        (Int64.min, "1677-09-21T00:12:43.145224192Z"),
        (951_782_400 * 1_000_000_000, "2000-02-29T00:00:00Z"),
    ]

    @Test(arguments: formattingCases)
    func formatting(nanos: Int64, expected: String) {
        var buffer = Array("prefix:".utf8)
        EventTime.formatRFC3339Nano(nanos, into: &buffer)
        #expect(String(decoding: buffer, as: UTF8.self) == "prefix:" + expected)
    }

    @Test func formatParseRoundTripAgainstFoundation() {
        var generator = SplitMix64(seed: 7)
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(secondsFromGMT: 0)
        for _ in 0..<5_000 {
            let nanos = Int64(generator.next() % UInt64(Int64.max))
            var buffer: [UInt8] = []
            EventTime.formatRFC3339Nano(nanos, into: &buffer)
            let text = String(decoding: buffer, as: UTF8.self)
            #expect(EventTime.parse(text) == nanos, "\(text)")
            // Whole seconds agree with Foundation's own calendar.
            let secondsText = String(text.prefix(19)) + "Z"
            let foundationSeconds = formatter.date(from: secondsText).map { Int64($0.timeIntervalSince1970) }
            #expect(foundationSeconds == nanos / 1_000_000_000, "\(text)")
            #expect(ReferenceTime.unixNanos(text) == nanos, "\(text)")
        }
    }
}
