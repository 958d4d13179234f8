import EventModel

/// What `kelpie spool cat --dataset/--since` keeps. Reads only the two leading fields of a stored line,
/// which the WAL always writes first and in this order: `{"dataset":"…","time":"<RFC 3339, UTC>",…`.
struct SpoolFilter {
    /// The dataset's UTF-8 bytes, compared ASCII-case-insensitively (Honeycomb treats names that way).
    var dataset: [UInt8]?
    /// Keep events whose time is at or after this instant.
    var sinceUnixNanos: Int64?

    var keepsEverything: Bool { dataset == nil && sinceUnixNanos == nil }

    func matches(_ line: UnsafeRawBufferPointer) -> Bool {
        var cursor = 0
        guard Self.expect(#"{"dataset":""#, in: line, at: &cursor),
              let name = Self.jsonStringContents(line, from: &cursor),
              Self.expect(#","time":""#, in: line, at: &cursor),
              let time = Self.jsonStringContents(line, from: &cursor)
        else { return false }
        if let dataset, !Self.equalIgnoringASCIICase(name, dataset) { return false }
        if let sinceUnixNanos {
            guard let nanos = time.withUnsafeBytes({ EventTime.parse($0) }), nanos >= sinceUnixNanos else { return false }
        }
        return true
    }

    /// `--since`: an RFC 3339 time (`2026-12-03T16:00:00Z`), or a duration back from `nowUnixNanos` (`10m`).
    static func since(_ text: String, nowUnixNanos: Int64, duration: (String) -> Duration?) -> Int64? {
        let bytes = Array(text.utf8)
        if bytes.count >= 10, bytes[4] == UInt8(ascii: "-") { return EventTime.parse(text) }
        guard let back = duration(text) else { return nil }
        let (seconds, attoseconds) = back.components
        return nowUnixNanos - seconds * 1_000_000_000 - attoseconds / 1_000_000_000
    }

    private static func expect(_ literal: StaticString, in line: UnsafeRawBufferPointer, at cursor: inout Int) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard line.count - cursor >= count else { return false }
        for index in 0..<count where line[cursor + index] != literal.utf8Start[index] { return false }
        cursor += count
        return true
    }

    /// The string's bytes up to its closing quote, with the escapes the WAL writes (`\"`, `\\`, `\u00XX`)
    /// undone; the cursor ends after the quote. The leading quote was already consumed.
    private static func jsonStringContents(_ line: UnsafeRawBufferPointer, from cursor: inout Int) -> [UInt8]? {
        var out: [UInt8] = []
        while cursor < line.count {
            let byte = line[cursor]
            cursor += 1
            switch byte {
            case UInt8(ascii: "\""):
                return out
            case UInt8(ascii: "\\"):
                guard cursor < line.count else { return nil }
                let escaped = line[cursor]
                cursor += 1
                if escaped == UInt8(ascii: "u") {
                    guard cursor + 4 <= line.count,
                          let value = UInt8(String(decoding: UnsafeRawBufferPointer(rebasing: line[cursor + 2 ..< cursor + 4]), as: UTF8.self), radix: 16)
                    else { return nil }
                    out.append(value)
                    cursor += 4
                } else {
                    out.append(escaped)
                }
            default:
                out.append(byte)
            }
        }
        return nil
    }

    private static func equalIgnoringASCIICase(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        func lower(_ byte: UInt8) -> UInt8 { byte >= 65 && byte <= 90 ? byte + 32 : byte }
        return a.count == b.count && zip(a, b).allSatisfy { lower($0) == lower($1) }
    }
}
