/// Reads the per-event statuses of a Honeycomb batch answer, `[{"status":202},{"status":400,"error":"…"}]`,
/// in order. Only the top-level array's objects and their `status` members are looked at; strings are
/// skipped with their escapes, nested values by depth. nil when the answer is not such an array.
enum BatchResponseParser {
    static func statuses(_ body: [UInt8]) -> [Int]? {
        var index = 0
        func skipSpace() {
            while index < body.count, body[index] == 0x20 || body[index] == 0x0A || body[index] == 0x0D || body[index] == 0x09 {
                index += 1
            }
        }
        /// Moves past the string starting at `index` (a quote); returns its raw contents' range.
        func skipString() -> Range<Int>? {
            guard index < body.count, body[index] == UInt8(ascii: "\"") else { return nil }
            let start = index + 1
            index = start
            while index < body.count {
                if body[index] == UInt8(ascii: "\\") { index += 2; continue }
                if body[index] == UInt8(ascii: "\"") { index += 1; return start..<(index - 1) }
                index += 1
            }
            return nil
        }
        /// Moves past any JSON value starting at `index`.
        func skipValue() -> Bool {
            skipSpace()
            guard index < body.count else { return false }
            if body[index] == UInt8(ascii: "\"") { return skipString() != nil }
            if body[index] == UInt8(ascii: "{") || body[index] == UInt8(ascii: "[") {
                var depth = 0
                while index < body.count {
                    switch body[index] {
                    case UInt8(ascii: "\""):
                        if skipString() == nil { return false }
                        continue
                    case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                    case UInt8(ascii: "}"), UInt8(ascii: "]"):
                        depth -= 1
                        if depth == 0 { index += 1; return true }
                    default: break
                    }
                    index += 1
                }
                return false
            }
            while index < body.count, body[index] != UInt8(ascii: ","), body[index] != UInt8(ascii: "}"),
                  body[index] != UInt8(ascii: "]") {
                index += 1
            }
            return true
        }
        func integer() -> Int? {
            skipSpace()
            var value = 0
            var digits = 0
            while index < body.count, body[index] >= UInt8(ascii: "0"), body[index] <= UInt8(ascii: "9"), digits < 4 {
                value = value * 10 + Int(body[index] - UInt8(ascii: "0"))
                index += 1
                digits += 1
            }
            return digits > 0 ? value : nil
        }
        let statusKey = Array("status".utf8)

        skipSpace()
        guard index < body.count, body[index] == UInt8(ascii: "[") else { return nil }
        index += 1
        var statuses: [Int] = []
        skipSpace()
        if index < body.count, body[index] == UInt8(ascii: "]") { return statuses }
        while true {
            skipSpace()
            guard index < body.count, body[index] == UInt8(ascii: "{") else { return nil }
            index += 1
            var status: Int?
            while true {
                skipSpace()
                if index < body.count, body[index] == UInt8(ascii: "}") { index += 1; break }
                guard let key = skipString() else { return nil }
                skipSpace()
                guard index < body.count, body[index] == UInt8(ascii: ":") else { return nil }
                index += 1
                if body[key].elementsEqual(statusKey) {
                    status = integer()
                    if status == nil { return nil }
                    skipSpace()
                } else if !skipValue() {
                    return nil
                }
                skipSpace()
                guard index < body.count else { return nil }
                if body[index] == UInt8(ascii: ",") { index += 1; continue }
                if body[index] == UInt8(ascii: "}") { index += 1; break }
                return nil
            }
            guard let status else { return nil }
            statuses.append(status)
            skipSpace()
            guard index < body.count else { return nil }
            if body[index] == UInt8(ascii: ",") { index += 1; continue }
            if body[index] == UInt8(ascii: "]") { return statuses }
            return nil
        }
    }
}
