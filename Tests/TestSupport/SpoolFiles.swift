import Foundation

/// Reads every complete line of the spool's `wal-*.jsonl` segments, oldest first, parsed as JSON objects.
/// Independent of the server's own reader, so tests check the files, not the code that wrote them.
public func readSpoolEvents(dataDirectory: String) throws -> [[String: Any]] {
    try readSpoolLines(dataDirectory: dataDirectory).map { line in
        guard let object = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
            throw CocoaError(.coderReadCorrupt)
        }
        return object
    }
}

/// The spool's complete lines as stored (without the newline), oldest first: the canonical event lines.
public func readSpoolLines(dataDirectory: String) throws -> [[UInt8]] {
    let names = try FileManager.default.contentsOfDirectory(atPath: dataDirectory)
        .filter { $0.hasPrefix("wal-") && $0.hasSuffix(".jsonl") }
        .sorted()
    var lines: [[UInt8]] = []
    for name in names {
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(dataDirectory)/\(name)"))
        var split = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        if data.last != UInt8(ascii: "\n") { split.removeLast() }  // a torn tail is not an event
        lines += split.filter { !$0.isEmpty }.map { Array($0) }
    }
    return lines
}

/// Parses RFC 3339 timestamps into Unix nanoseconds for comparisons in tests (a separate implementation
/// from the server's on purpose). Returns nil for anything it does not understand.
public func testUnixNanos(rfc3339 text: String) -> Int64? {
    let scalars = Array(text.utf8)
    func number(_ range: Range<Int>) -> Int? {
        guard range.upperBound <= scalars.count else { return nil }
        return Int(String(decoding: scalars[range], as: UTF8.self))
    }
    guard scalars.count >= 20, let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
          let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19) else { return nil }
    var index = 19
    var nanos: Int64 = 0
    if index < scalars.count, scalars[index] == UInt8(ascii: ".") {
        index += 1
        var digits = 0
        while index < scalars.count, scalars[index] >= 48, scalars[index] <= 57 {
            if digits < 9 { nanos = nanos * 10 + Int64(scalars[index] - 48); digits += 1 }
            index += 1
        }
        while digits < 9 { nanos *= 10; digits += 1 }
    }
    var offsetSeconds = 0
    if index < scalars.count, scalars[index] == UInt8(ascii: "+") || scalars[index] == UInt8(ascii: "-") {
        guard let oh = number((index + 1)..<(index + 3)), let om = number((index + 4)..<(index + 6)) else { return nil }
        offsetSeconds = (oh * 3600 + om * 60) * (scalars[index] == UInt8(ascii: "+") ? 1 : -1)
    }
    var components = DateComponents()
    components.year = year; components.month = month; components.day = day
    components.hour = hour; components.minute = minute; components.second = second
    components.timeZone = TimeZone(secondsFromGMT: 0)
    guard let date = Calendar(identifier: .gregorian).date(from: components) else { return nil }
    let seconds = Int64(date.timeIntervalSince1970.rounded()) - Int64(offsetSeconds)
    return seconds * 1_000_000_000 + nanos
}

/// A JSON value (from JSONSerialization) re-serialised with sorted keys, so two values compare equal
/// exactly when they hold the same JSON, including booleans versus numbers.
public func canonicalJSON(_ value: Any) -> String {
    guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed]) else {
        return "<not JSON: \(value)>"
    }
    return String(decoding: data, as: UTF8.self)
}
