import Foundation
import EventModel
import Testing
@testable import Pipeline

@Suite struct WALLineEncoderTests {
    @Test func encodesOneLinePerEventWithDataVerbatim() throws {
        let batch = makeBatch(dataset: "my-ds", keyID: "team1/env2", events: [
            TestEvent(timeUnixNanos: 1_700_000_000_123_456_789, sampleRate: 1, json: #"{"a":1,"b":[1.50,"x"]}"#),
            TestEvent(timeUnixNanos: 0, sampleRate: 250, json: "{ \"spaced\" : true }"),
        ])
        let text = String(decoding: WALLineEncoder.encode(batch).array, as: UTF8.self)
        #expect(text == """
            {"dataset":"my-ds","time":"2023-11-14T22:13:20.123456789Z","samplerate":1,"key_id":"team1/env2","data":{"a":1,"b":[1.50,"x"]}}
            {"dataset":"my-ds","time":"1970-01-01T00:00:00Z","samplerate":250,"key_id":"team1/env2","data":{ "spaced" : true }}

            """)
    }

    @Test func emptyBatchEncodesNothing() {
        #expect(WALLineEncoder.encode(makeBatch(events: [])).count == 0)
    }

    @Test func escapesDatasetAndKeyIntoValidJSON() throws {
        let dataset = "a\"b\\c\nd\te\u{01}\u{1F}f\u{7F} é 🦭 \u{2028}"
        let keyID = "k\"\\\r"
        let batch = makeBatch(dataset: dataset, keyID: keyID, events: [
            TestEvent(timeUnixNanos: 5, sampleRate: 3, json: #"{"x":"y"}"#),
        ])
        let bytes = WALLineEncoder.encode(batch).array
        #expect(bytes.last == UInt8(ascii: "\n"))
        #expect(bytes.dropLast().allSatisfy { $0 >= 0x20 }, "no raw control characters inside the line")
        let line = String(decoding: bytes.dropLast(), as: UTF8.self)
        #expect(line.contains(#"\u0001"#) && line.contains(#"\u001f"#) && line.contains(#"\u000a"#))
        let object = try #require(parseLine(line))
        #expect(object["dataset"] as? String == dataset)
        #expect(object["key_id"] as? String == keyID)
        #expect(object["samplerate"] as? Int == 3)
        #expect(object["time"] as? String == "1970-01-01T00:00:00.000000005Z")
    }

    @Test(arguments: [0, 1, 9, 10, 12345, Int.max, -1, Int.min])
    func writesDecimalSampleRates(value: Int) {
        var out = [UInt8](repeating: 0, count: WALLineEncoder.maxSampleRateDigits)
        let length = out.withUnsafeMutableBufferPointer { WALLineEncoder.writeDecimal(value, into: $0.baseAddress!) }
        #expect(String(decoding: out[..<length], as: UTF8.self) == String(value))
    }
}
