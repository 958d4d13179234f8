/// Reads the per-event statuses out of a batch reply: JSON `[{"status":202},…]` or the msgpack array of
/// maps with a `status` key that Honeycomb sends for msgpack requests.
public enum BatchReplyParser {
    public static func statuses(json body: [UInt8]) -> [Int]? {
        var statuses: [Int] = []
        return parseStatuses(json: body, into: &statuses) ? statuses : nil
    }

    /// Appends each `"status": N` value to `statuses` (cleared first); false when the reply is malformed.
    /// Allocation-free once `statuses` has capacity: this runs for every batch reply in the load loop.
    public static func parseStatuses(json body: [UInt8], into statuses: inout [Int]) -> Bool {
        statuses.removeAll(keepingCapacity: true)
        return body.withUnsafeBufferPointer { buffer -> Bool in
            let count = buffer.count
            var index = 0
            @inline(__always) func isSpace(_ byte: UInt8) -> Bool { byte == 32 || byte == 9 || byte == 10 || byte == 13 }
            while index < count {
                guard buffer[index] == UInt8(ascii: "\"") else {
                    index += 1
                    continue
                }
                // `"status"`: the quote at `index`, then s t a t u s and a closing quote.
                if index + 8 <= count && buffer[index + 1] == UInt8(ascii: "s") && buffer[index + 2] == UInt8(ascii: "t")
                    && buffer[index + 3] == UInt8(ascii: "a") && buffer[index + 4] == UInt8(ascii: "t")
                    && buffer[index + 5] == UInt8(ascii: "u") && buffer[index + 6] == UInt8(ascii: "s")
                    && buffer[index + 7] == UInt8(ascii: "\"")
                {
                    var cursor = index + 8
                    while cursor < count && isSpace(buffer[cursor]) { cursor += 1 }
                    guard cursor < count, buffer[cursor] == UInt8(ascii: ":") else { return false }
                    cursor += 1
                    while cursor < count && isSpace(buffer[cursor]) { cursor += 1 }
                    var value = 0
                    var digits = 0
                    while cursor < count && buffer[cursor] >= UInt8(ascii: "0") && buffer[cursor] <= UInt8(ascii: "9")
                        && digits < 6
                    {
                        value = value * 10 + Int(buffer[cursor] - UInt8(ascii: "0"))
                        cursor += 1
                        digits += 1
                    }
                    guard digits > 0 else { return false }
                    statuses.append(value)
                    index = cursor
                } else {
                    // Skip over any other string (it may contain the text "status").
                    index += 1
                    while index < count && buffer[index] != UInt8(ascii: "\"") {
                        index += buffer[index] == UInt8(ascii: "\\") ? 2 : 1
                    }
                    index += 1
                }
            }
            return true
        }
    }

    public static func statuses(msgpack body: [UInt8]) -> [Int]? {
        var statuses: [Int] = []
        return parseStatuses(msgpack: body, into: &statuses) ? statuses : nil
    }

    public static func parseStatuses(msgpack body: [UInt8], into statuses: inout [Int]) -> Bool {
        statuses.removeAll(keepingCapacity: true)
        var reader = MsgPackReader(body)
        guard let count = try? reader.readArrayHeader() else { return false }
        do {
            for _ in 0..<count {
                let entries = try reader.readMapHeader()
                var status: Int? = nil
                for _ in 0..<entries {
                    let key = try reader.readString()
                    if key == "status" { status = Int(try reader.readInt()) } else { try reader.skipValue() }
                }
                guard let status else { return false }
                statuses.append(status)
            }
        } catch {
            return false
        }
        return true
    }
}
