import Ingest
import TestSupport
import Testing

/// Honeycomb's per-event limits at N−1, N and N+1, through the JSON and the msgpack path alike: the same
/// statuses, texts and stored data.
@Suite struct IngestLimitsTests {
    static let receiveTime: Int64 = 1_717_200_000 * 1_000_000_000

    enum Value {
        case int(Int)
        case string(String)
        case bytes([UInt8])
        case list([Value])

        /// libhoney-go's JSON for the value ([]byte as base64), and its msgpack.
        var json: String {
            switch self {
            case .int(let number): "\(number)"
            case .string(let text): "\"" + text.replacingEscapes() + "\""
            case .bytes(let bytes): "\"" + Base64.encode(bytes) + "\""
            case .list(let items): "[" + items.map(\.json).joined(separator: ",") + "]"
            }
        }

        var msgpack: [UInt8] {
            switch self {
            case .int(let number): MP.int(number)
            case .string(let text): MP.str(text)
            case .bytes(let bytes): bytes.count < 256 ? MP.bin8(bytes) : MP.bin32(bytes)
            case .list(let items): MP.array(items.map(\.msgpack))
            }
        }
    }

    typealias Event = [(String, Value)]

    static func jsonData(_ event: Event) -> String {
        "{" + event.map { "\"\($0.0)\":\($0.1.json)" }.joined(separator: ",") + "}"
    }

    /// Decodes the events both ways; checks that statuses and stored data agree; returns the JSON result.
    @discardableResult
    static func decodeBoth(_ events: [Event], limits: IngestLimits = .init(), sourceLocation: SourceLocation = #_sourceLocation) throws -> DecodedRequest {
        let decoder = HoneycombDecoder(limits: limits)
        let jsonBody = Array(("[" + events.map { "{\"data\":\(jsonData($0))}" }.joined(separator: ",") + "]").utf8)
        let json = try decoder.decodeBatch(body: jsonBody, dataset: "ds", keyID: "k", receiveTimeNanos: receiveTime)
        let msgpackBody = MP.array(events.map { event in MP.object([("data", MP.object(event.map { ($0.0, $0.1.msgpack) }))]) })
        let msgpack = try decoder.decodeMsgPackBatch(body: msgpackBody, dataset: "ds", keyID: "k", receiveTimeNanos: receiveTime)
        #expect(json.statuses == msgpack.statuses, sourceLocation: sourceLocation)
        #expect(json.batch.events.count == msgpack.batch.events.count, sourceLocation: sourceLocation)
        for (fromJSON, fromMsgPack) in zip(json.batch.events, msgpack.batch.events) {
            let jsonBytes = Array(json.batch.body[fromJSON.dataRange])
            let msgpackBytes = Array(msgpack.batch.body[fromMsgPack.dataRange])
            #expect(try TestJSON.parse(jsonBytes) == (try TestJSON.parse(msgpackBytes)), sourceLocation: sourceLocation)
            #expect(jsonBytes.count == msgpackBytes.count, "compact ASCII input: same stored size", sourceLocation: sourceLocation)
        }
        return json
    }

    static func rejected(_ message: String) -> EventStatus { .rejected(status: 400, message: message) }

    static func fields(_ count: Int) -> Event { (0..<count).map { ("field\($0)", .int($0)) } }

    // MARK: fields per event

    @Test func fieldsPerEventAtTheDefaultLimit() throws {
        #expect(IngestLimits().maxFieldsPerEvent == 2_000)
        let decoded = try Self.decodeBoth([Self.fields(1_999), Self.fields(2_000), Self.fields(2_001), Self.fields(1)])
        #expect(decoded.statuses == [.accepted, .accepted, Self.rejected("Event has too many columns."), .accepted])
    }

    @Test func fieldsPerEventIsConfigurable() throws {
        let limits = IngestLimits(maxFieldsPerEvent: 3)
        let decoded = try Self.decodeBoth([Self.fields(2), Self.fields(3), Self.fields(4)], limits: limits)
        #expect(decoded.statuses == [.accepted, .accepted, Self.rejected("Event has too many columns.")])
        // Empty data keeps its own text, whatever the limit.
        #expect(try Self.decodeBoth([[]], limits: IngestLimits(maxFieldsPerEvent: 0)).statuses == [Self.rejected("empty event data")])
        // /1/events: a whole-request error with the same text.
        let single = Array(Self.jsonData(Self.fields(4)).utf8)
        #expect(throws: IngestError.tooManyFields) {
            try HoneycombDecoder(limits: limits).decodeSingle(
                body: single, dataset: "ds", keyID: "k", eventTimeHeader: nil, sampleRateHeader: nil, receiveTimeNanos: Self.receiveTime)
        }
        #expect(IngestError.tooManyFields.message == "Event has too many columns.")
        #expect(IngestError.tooManyFields.status == 400)
        let three = Array(Self.jsonData(Self.fields(3)).utf8)
        #expect(try HoneycombDecoder(limits: limits).decodeSingle(
            body: three, dataset: "ds", keyID: "k", eventTimeHeader: nil, sampleRateHeader: nil, receiveTimeNanos: Self.receiveTime).events.count == 1)
    }

    // MARK: event bytes

    /// An event whose compact data JSON is exactly `size` bytes, strings under the string limit.
    static func event(ofSize size: Int) -> Event {
        var event: Event = (0..<19).map { (String(format2: $0), .string(String(repeating: "x", count: 50_000))) }
        let current = jsonData(event).utf8.count
        let filler = size - current - #","g":"""#.utf8.count
        precondition(filler >= 0 && filler <= 65_536)
        event.append(("g", .string(String(repeating: "y", count: filler))))
        precondition(jsonData(event).utf8.count == size)
        return event
    }

    @Test func eventBytesAtTheDefaultLimit() throws {
        #expect(IngestLimits().maxEventBytes == 1_000_000)
        let decoded = try Self.decodeBoth([
            Self.event(ofSize: 999_999), Self.event(ofSize: 1_000_000), Self.event(ofSize: 1_000_001), Self.fields(1),
        ])
        #expect(decoded.statuses == [.accepted, .accepted, Self.rejected("Event is too large."), .accepted])
        #expect(decoded.batch.events.map(\.dataRange.count) == [999_999, 1_000_000, 12])
    }

    @Test func eventBytesCountStringsBeforeTheyAreCutAndAreConfigurable() throws {
        // One 1.1 MB string: cut to 64 KiB if kept, but the event as sent is over the limit.
        let huge: Event = [("s", .string(String(repeating: "z", count: 1_100_000)))]
        #expect(try Self.decodeBoth([huge, Self.fields(1)]).statuses == [Self.rejected("Event is too large."), .accepted])
        // A small configured limit: {"a":"xyz"} is 11 bytes.
        let limits = IngestLimits(maxEventBytes: 11)
        let decoded = try Self.decodeBoth(
            [[("a", .string("xy"))], [("a", .string("xyz"))], [("a", .string("xyzw"))]], limits: limits)
        #expect(decoded.statuses == [.accepted, .accepted, Self.rejected("Event is too large.")])
        // Escapes count as sent in JSON and as written for msgpack: "\n" is 2 bytes of JSON in both.
        let escaped = try Self.decodeBoth([[("a", .string("x\ny"))], [("a", .string("x\n"))]], limits: limits)
        #expect(escaped.statuses == [Self.rejected("Event is too large."), .accepted])
        // /1/events.
        #expect(throws: IngestError.eventTooLarge) {
            try HoneycombDecoder(limits: limits).decodeSingle(
                body: Array(#"{"a":"xyzw"}"#.utf8), dataset: "ds", keyID: "k", eventTimeHeader: nil, sampleRateHeader: nil,
                receiveTimeNanos: Self.receiveTime)
        }
        #expect(IngestError.eventTooLarge.message == "Event is too large.")
    }

    // MARK: string bytes

    static func storedString(_ decoded: DecodedRequest, event: Int, key: String) -> String? {
        let data = try? TestJSON.parse(decoded.batch.body[decoded.batch.events[event].dataRange])
        guard case .string(let text)? = data?[key] else { return nil }
        return text
    }

    @Test func stringBytesAtTheDefaultLimitAreCutNotRejected() throws {
        #expect(IngestLimits().maxStringValueBytes == 65_536)
        let events: [Event] = [65_535, 65_536, 65_537, 200_000].map { [("s", .string(String(repeating: "a", count: $0))), ("n", .int(1))] }
        let decoded = try Self.decodeBoth(events)
        #expect(decoded.statuses == Array(repeating: .accepted, count: 4))
        #expect((0..<4).map { Self.storedString(decoded, event: $0, key: "s")?.utf8.count } == [65_535, 65_536, 65_536, 65_536])
        // Only the cut events' data is rebuilt; the others still point into the request body.
        #expect(decoded.batch.events[0].dataRange.lowerBound == 9)
        #expect(decoded.batch.events[2].dataRange.lowerBound > 65_535 + 65_536 + 65_537 + 200_000)
    }

    @Test func stringsAreCutAtCharacterBoundariesInUnescapedBytes() throws {
        let limits = IngestLimits(maxStringValueBytes: 8)
        let events: [Event] = [
            [("s", .string("abcdefgh"))],                  // 8: kept
            [("s", .string("abcdefghi"))],                 // 9: "abcdefgh"
            [("s", .string("abcdefgé"))],                  // 9 bytes: é would straddle, cut before it
            [("s", .string("ééé✓"))],                      // 6 + 3: ✓ does not fit
            [("s", .string("abcd🐝x"))],                   // 4 + 4 = 8 fits, x does not
            [("s", .string("abc\n\t\"\\de"))],             // escapes count 1 byte each: 8 kept
            [("a_key_much_longer_than_eight", .string("v"))],  // keys are never cut
            [("l", .list([.string("0123456789"), .int(3), .list([.string("nested-string")])]))],
            [("b", .bytes(Array(0..<12)))],                // base64 "AAECAwQFBgcICQoL" → 8 chars
        ]
        let decoded = try Self.decodeBoth(events, limits: limits)
        #expect(decoded.statuses == Array(repeating: .accepted, count: events.count))
        #expect(Self.storedString(decoded, event: 0, key: "s") == "abcdefgh")
        #expect(Self.storedString(decoded, event: 1, key: "s") == "abcdefgh")
        #expect(Self.storedString(decoded, event: 2, key: "s") == "abcdefg")
        #expect(Self.storedString(decoded, event: 3, key: "s") == "ééé")
        #expect(Self.storedString(decoded, event: 4, key: "s") == "abcd🐝")
        #expect(Self.storedString(decoded, event: 5, key: "s") == "abc\n\t\"\\d")
        #expect(Self.storedString(decoded, event: 6, key: "a_key_much_longer_than_eight") == "v")
        let list = try TestJSON.parse(decoded.batch.body[decoded.batch.events[7].dataRange])
        #expect(list == (try TestJSON.parse(Array(#"{"l":["01234567",3,["nested-s"]]}"#.utf8))))
        #expect(Self.storedString(decoded, event: 8, key: "b") == "AAECAwQF")
    }

    @Test func jsonEscapesCountAsTheCharactersTheyStandFor() throws {
        // libhoney-py sends non-ASCII as \u escapes; the cut counts UTF-8 bytes of the unescaped text.
        let limits = IngestLimits(maxStringValueBytes: 5)
        let body = Array(#"[{"data":{"s":"\u00e9\u00e9\u00e9"}},{"data":{"s":"a\ud83d\udc1d"}},{"data":{"s":"abc\ud83d\udc1d"}}]"#.utf8)
        let decoded = try HoneycombDecoder(limits: limits).decodeBatch(body: body, dataset: "ds", keyID: "k", receiveTimeNanos: Self.receiveTime)
        #expect(Self.storedString(decoded, event: 0, key: "s") == "éé")
        #expect(String(decoding: decoded.batch.body[decoded.batch.events[0].dataRange], as: UTF8.self) == #"{"s":"\u00e9\u00e9"}"#)
        #expect(Self.storedString(decoded, event: 1, key: "s") == "a🐝")
        #expect(Self.storedString(decoded, event: 2, key: "s") == "abc")
        // /1/events cuts too.
        let single = try HoneycombDecoder(limits: limits).decodeSingle(
            body: Array(#"{"s":"abcdefgh","t":"ok"}"#.utf8), dataset: "ds", keyID: "k", eventTimeHeader: nil,
            sampleRateHeader: nil, receiveTimeNanos: Self.receiveTime)
        #expect(String(decoding: single.body[single.events[0].dataRange], as: UTF8.self) == #"{"s":"abcde","t":"ok"}"#)
    }
}

private extension String {
    /// JSON string escaping for the test inputs (quote, backslash, control characters).
    func replacingEscapes() -> String {
        var out = ""
        for scalar in unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 {
                    out += "\\u00" + String(scalar.value, radix: 16).leftPadded(to: 2)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }

    init(format2 number: Int) { self = "f" + String(number).leftPadded(to: 2) }
}

/// Standard base64 with padding, for building JSON the way libhoney-go encodes []byte.
enum Base64 {
    static func encode(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        var out = ""
        var index = 0
        while index < bytes.count {
            let chunk = Array(bytes[index..<min(index + 3, bytes.count)])
            let value = chunk.enumerated().reduce(0) { $0 | Int($1.element) << (16 - 8 * $1.offset) }
            for position in 0..<4 {
                out.append(position <= chunk.count ? alphabet[(value >> (18 - 6 * position)) & 0x3F] : "=")
            }
            index += 3
        }
        return out
    }
}
