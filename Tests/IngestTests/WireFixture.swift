import Foundation

/// One captured request from Tests/IngestTests/Fixtures (copied from /work/shared/fixtures/wire).
struct WireFixture {
    let name: String
    let body: [UInt8]
    /// Headers in wire order, original case.
    let headers: [(name: String, value: String)]
    /// The capture server's decoding (`decoded` member of NAME.decoded.json), parsed with the test oracle.
    let decoded: TestJSON

    init(_ name: String) throws {
        self.name = name
        body = try Self.load(name + ".body")
        let headerDocument = try TestJSON.parse(try Self.load(name + ".headers.json"))
        guard case .array(let pairs)? = headerDocument["headers"] else { throw FixtureError.badHeaders(name) }
        headers = try pairs.map { pair in
            guard case .array(let items) = pair, items.count == 2,
                  case .string(let headerName) = items[0], case .string(let value) = items[1]
            else { throw FixtureError.badHeaders(name) }
            return (headerName, value)
        }
        guard let decoded = try TestJSON.parse(try Self.load(name + ".decoded.json"))["decoded"] else {
            throw FixtureError.missingDecoded(name)
        }
        self.decoded = decoded
    }

    /// First header with this name, compared case-insensitively.
    func header(_ name: String) -> String? {
        headers.first(where: { $0.name.lowercased() == name.lowercased() })?.value
    }

    static func load(_ file: String) throws -> [UInt8] {
        guard let url = Bundle.module.url(forResource: "Fixtures/" + file, withExtension: nil) else {
            throw FixtureError.missingFile(file)
        }
        return Array(try Data(contentsOf: url))
    }

    enum FixtureError: Error {
        case missingFile(String)
        case badHeaders(String)
        case missingDecoded(String)
    }
}

/// An independent RFC 3339 → Unix nanoseconds conversion for checking fixture times: Foundation's
/// Gregorian calendar for the date and offset, digit arithmetic for the fraction.
enum ReferenceTime {
    static func unixNanos(_ text: String) -> Int64? {
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
