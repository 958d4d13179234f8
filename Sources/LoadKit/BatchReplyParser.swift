/// Reads the per-event statuses out of a batch reply: JSON `[{"status":202},…]` or the msgpack array of
/// maps with a `status` key that Honeycomb sends for msgpack requests.
public enum BatchReplyParser {
    public static func statuses(json body: [UInt8]) -> [Int]? {
        var statuses: [Int] = []
        let key = Array("\"status\"".utf8)
        var index = 0
        let count = body.count
        while index < count {
            guard body[index] == UInt8(ascii: "\"") else {
                index += 1
                continue
            }
            if index + key.count <= count && body[index..<(index + key.count)].elementsEqual(key) {
                var cursor = index + key.count
                while cursor < count && (body[cursor] == 32 || body[cursor] == 9 || body[cursor] == 10 || body[cursor] == 13) { cursor += 1 }
                guard cursor < count, body[cursor] == UInt8(ascii: ":") else { return nil }
                cursor += 1
                while cursor < count && (body[cursor] == 32 || body[cursor] == 9 || body[cursor] == 10 || body[cursor] == 13) { cursor += 1 }
                var value = 0
                var digits = 0
                while cursor < count && body[cursor] >= UInt8(ascii: "0") && body[cursor] <= UInt8(ascii: "9") && digits < 6 {
                    value = value * 10 + Int(body[cursor] - UInt8(ascii: "0"))
                    cursor += 1
                    digits += 1
                }
                guard digits > 0 else { return nil }
                statuses.append(value)
                index = cursor
            } else {
                // Skip over any other string (it may contain the text "status").
                index += 1
                while index < count && body[index] != UInt8(ascii: "\"") {
                    index += body[index] == UInt8(ascii: "\\") ? 2 : 1
                }
                index += 1
            }
        }
        return statuses
    }

    public static func statuses(msgpack body: [UInt8]) -> [Int]? {
        var reader = MsgPackReader(body)
        guard let count = try? reader.readArrayHeader() else { return nil }
        var statuses: [Int] = []
        statuses.reserveCapacity(count)
        do {
            for _ in 0..<count {
                let entries = try reader.readMapHeader()
                var status: Int? = nil
                for _ in 0..<entries {
                    let key = try reader.readString()
                    if key == "status" { status = Int(try reader.readInt()) } else { try reader.skipValue() }
                }
                guard let status else { return nil }
                statuses.append(status)
            }
        } catch {
            return nil
        }
        return statuses
    }
}
