import Testing
import Foundation
@testable import HTTP1

@Suite struct DateHeaderCacheTests {
    @Test(arguments: [
        (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
        (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"),
        (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"),
        (1_234_567_890, "Fri, 13 Feb 2009 23:31:30 GMT"),
        (1_709_208_000, "Thu, 29 Feb 2024 12:00:00 GMT"),
        (4_107_542_400, "Mon, 01 Mar 2100 00:00:00 GMT"),
        (253_402_300_799, "Fri, 31 Dec 9999 23:59:59 GMT"),
    ])
    func knownEpochs(epochSeconds: Int, expected: String) {
        var cache = DateHeaderCache()
        #expect(String(decoding: cache.httpDate(epochSeconds: epochSeconds), as: UTF8.self) == expected)
    }

    @Test func sameSecondReturnsTheSameBytesAndANewSecondRecomputes() {
        var cache = DateHeaderCache()
        let first = cache.httpDate(epochSeconds: 1_700_000_000)
        let again = cache.httpDate(epochSeconds: 1_700_000_000)
        #expect(first == again)
        // Same storage: nothing was reformatted or reallocated.
        #expect(first.withUnsafeBufferPointer { $0.baseAddress } == again.withUnsafeBufferPointer { $0.baseAddress })
        let next = cache.httpDate(epochSeconds: 1_700_000_001)
        #expect(String(decoding: next, as: UTF8.self) == "Tue, 14 Nov 2023 22:13:21 GMT")
    }

    @Test func outOfRangeTimesAreClamped() {
        #expect(String(decoding: DateHeaderCache.format(epochSeconds: -5), as: UTF8.self) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(String(decoding: DateHeaderCache.format(epochSeconds: .max), as: UTF8.self) == "Fri, 31 Dec 9999 23:59:59 GMT")
    }

    @Test func agreesWithFoundationOnRandomInstants() {
        // Independent oracle: Foundation's formatter (tests only; the module itself never imports Foundation).
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<500 {
            let epoch = Int.random(in: 0...4_102_444_800, using: &generator)  // 1970 … 2100
            let expected = formatter.string(from: Date(timeIntervalSince1970: TimeInterval(epoch)))
            #expect(String(decoding: DateHeaderCache.format(epochSeconds: epoch), as: UTF8.self) == expected, "epoch \(epoch)")
        }
    }
}
