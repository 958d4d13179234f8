/// Finds the dataset and key id inside a canonical event line as ``WALLineEncoder`` writes it:
/// `{"dataset":"…","time":"…","samplerate":N,"key_id":"…","data":{…}}`. The field order is fixed, so a
/// forward scan suffices; `data` is never looked into.
enum CanonicalLine {
    static let datasetPrefix = Array("{\"dataset\":\"".utf8)
    static let keyIDMarker = Array(",\"key_id\":\"".utf8)

    static func locate(in bytes: UnsafeRawBufferPointer, line: Range<Int>) -> SinkBlock.Event? {
        guard line.count > datasetPrefix.count else { return nil }
        for (offset, byte) in datasetPrefix.enumerated() where bytes[line.lowerBound + offset] != byte { return nil }
        let datasetStart = line.lowerBound + datasetPrefix.count
        // The dataset string ends at the first quote not escaped by a backslash.
        var index = datasetStart
        while index < line.upperBound {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\\") { index += 2; continue }
            if byte == UInt8(ascii: "\"") { break }
            index += 1
        }
        guard index < line.upperBound else { return nil }
        let datasetRange = datasetStart..<index
        // Time and sample rate cannot contain the key id marker, so the first one after the dataset is it.
        guard let markerEnd = find(keyIDMarker, in: bytes, from: index, before: line.upperBound) else { return nil }
        var keyEnd = markerEnd
        while keyEnd < line.upperBound && bytes[keyEnd] != UInt8(ascii: "\"") { keyEnd += 1 }
        guard keyEnd < line.upperBound else { return nil }
        return SinkBlock.Event(line: line, dataset: datasetRange, keyID: markerEnd..<keyEnd)
    }

    /// The index just past the first occurrence of `needle` in `bytes[from..<before]`.
    private static func find(_ needle: [UInt8], in bytes: UnsafeRawBufferPointer, from: Int, before: Int) -> Int? {
        guard let first = needle.first else { return from }
        var start = from
        while start + needle.count <= before {
            if bytes[start] == first {
                var matched = 1
                while matched < needle.count && bytes[start + matched] == needle[matched] { matched += 1 }
                if matched == needle.count { return start + matched }
            }
            start += 1
        }
        return nil
    }

    /// JSON string contents → the string: the escapes ``WALLineEncoder/appendEscaped(_:to:)`` writes
    /// (`\"`, `\\`, `\u00XX`), plus the other short escapes for robustness.
    static func unescape(_ escaped: ArraySlice<UInt8>) -> String {
        guard escaped.contains(UInt8(ascii: "\\")) else { return String(decoding: escaped, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(escaped.count)
        var index = escaped.startIndex
        while index < escaped.endIndex {
            let byte = escaped[index]
            guard byte == UInt8(ascii: "\\"), index + 1 < escaped.endIndex else {
                out.append(byte)
                index += 1
                continue
            }
            let next = escaped[index + 1]
            switch next {
            case UInt8(ascii: "u") where index + 5 < escaped.endIndex:
                var value: UInt32 = 0
                for digit in escaped[(index + 2)...(index + 5)] { value = value << 4 | UInt32(hexValue(digit)) }
                out.append(contentsOf: Array(String(Character(Unicode.Scalar(value) ?? "\u{FFFD}")).utf8))
                index += 6
                continue
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            default: out.append(next)
            }
            index += 2
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ digit: UInt8) -> UInt8 {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: 0
        }
    }
}
