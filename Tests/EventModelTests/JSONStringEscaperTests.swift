import EventModel
import Testing

@Suite struct JSONStringEscaperTests {
    private func escaped(_ bytes: [UInt8], invalidUTF8: JSONStringEscaper.InvalidUTF8) -> [UInt8]? {
        var buffer = ByteBuffer(capacity: 1)
        defer { buffer.deallocate() }
        let valid = bytes.withUnsafeBufferPointer {
            JSONStringEscaper.appendEscaped($0.baseAddress!, count: $0.count, invalidUTF8: invalidUTF8, into: &buffer)
        }
        return valid ? buffer.makeArray() : nil
    }

    @Test func escapesWhatJSONRequiresAndCopiesTheRest() {
        let text = "a\"b\\c\nd\te\r\u{01}\u{1F} é 🦭"
        let expected = #"a\"b\\c\nd\te\r\u0001\u001f é 🦭"#
        #expect(escaped(Array(text.utf8), invalidUTF8: .reject) == Array(expected.utf8))
        var fromString: [UInt8] = []
        JSONStringEscaper.appendEscaped(text, to: &fromString)
        #expect(fromString == Array(expected.utf8))
    }

    @Test func unicodeControlEscapesWriteEveryControlAsHex() {
        var out: [UInt8] = []
        JSONStringEscaper.appendEscaped("a\nb\tc", controls: .unicode, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == #"a\u000ab\u0009c"#)
    }

    @Test func invalidUTF8IsRejectedOrReplacedPerByte() {
        let bytes: [UInt8] = [0x61, 0xFF, 0x62, 0xC0, 0xAF]
        #expect(escaped(bytes, invalidUTF8: .reject) == nil)
        #expect(escaped(bytes, invalidUTF8: .replace) == Array("a\u{FFFD}b\u{FFFD}\u{FFFD}".utf8))
    }

    /// Long strings are escaped chunk by chunk; a multi-byte character across a chunk boundary stays whole.
    @Test func longTextAcrossChunksKeepsCharactersWhole() {
        let text = String(repeating: "é\"🦭x", count: 3000)
        var expected: [UInt8] = []
        JSONStringEscaper.appendEscaped(text, to: &expected)
        #expect(escaped(Array(text.utf8), invalidUTF8: .reject) == expected)
    }
}
