import Ingest
import TestSupport
import Testing

/// Hand-built msgpack batches: every type and width, time and samplerate forms, shapes and per-event errors.
@Suite struct MsgPackDecodingTests {
    static let receiveTime: Int64 = 1_717_200_000 * 1_000_000_000

    static func decode(_ elements: [[UInt8]], limits: IngestLimits = .init()) throws(IngestError) -> DecodedRequest {
        try decodeBody(MP.array(elements), limits: limits)
    }

    static func decodeBody(_ body: [UInt8], limits: IngestLimits = .init()) throws(IngestError) -> DecodedRequest {
        try HoneycombDecoder(limits: limits).decodeMsgPackBatch(
            body: body, dataset: "ds", keyID: "key", receiveTimeNanos: receiveTime)
    }

    static func dataText(_ decoded: DecodedRequest, _ index: Int) -> String {
        String(decoding: decoded.batch.body[decoded.batch.events[index].dataRange], as: UTF8.self)
    }

    /// The stored JSON for one value under key "v".
    static func stored(_ value: [UInt8]) throws -> String {
        let decoded = try decode([MP.event([("v", value)])])
        #expect(decoded.statuses == [.accepted])
        let text = dataText(decoded, 0)
        #expect(TestJSON.isValid(Array(text.utf8)), "valid JSON: \(text)")
        return String(text.dropFirst(5).dropLast())  // {"v":…}
    }

    static func rejected(_ message: String) -> EventStatus { .rejected(status: 400, message: message) }

    // MARK: values

    @Test func integersOfEveryWidth() throws {
        #expect(try Self.stored(MP.fixint(0)) == "0")
        #expect(try Self.stored(MP.fixint(127)) == "127")
        #expect(try Self.stored(MP.fixint(-1)) == "-1")
        #expect(try Self.stored(MP.fixint(-32)) == "-32")
        #expect(try Self.stored(MP.u8(255)) == "255")
        #expect(try Self.stored(MP.u8(7)) == "7")
        #expect(try Self.stored(MP.u16(65_535)) == "65535")
        #expect(try Self.stored(MP.u32(4_294_967_295)) == "4294967295")
        #expect(try Self.stored(MP.u64(18_446_744_073_709_551_615)) == "18446744073709551615")
        #expect(try Self.stored(MP.u64(9_223_372_036_854_775_808)) == "9223372036854775808")
        #expect(try Self.stored(MP.i8(-128)) == "-128")
        #expect(try Self.stored(MP.i8(5)) == "5")
        #expect(try Self.stored(MP.i16(-32_768)) == "-32768")
        #expect(try Self.stored(MP.i32(-2_147_483_648)) == "-2147483648")
        #expect(try Self.stored(MP.i64(Int64.min)) == "-9223372036854775808")
        #expect(try Self.stored(MP.i64(Int64.max)) == "9223372036854775807")
        #expect(try Self.stored(MP.i64(5)) == "5")
        #expect(try Self.stored(MP.i64(9_007_199_254_740_993)) == "9007199254740993")
    }

    @Test func floatsAreShortestRoundTripAndNonFiniteIsNull() throws {
        #expect(try Self.stored(MP.f32(1.5)) == "1.5")
        #expect(try Self.stored(MP.f32(0.1)) == "0.1")
        #expect(try Self.stored(MP.f32(3.4028235e38)) == "3.4028235e+38")
        #expect(try Self.stored(MP.f32(16_777_216)) == "16777216.0")
        #expect(try Self.stored(MP.f64(0.1)) == "0.1")
        #expect(try Self.stored(MP.f64(1.0 / 3.0)) == "0.3333333333333333")
        #expect(try Self.stored(MP.f64(12.5)) == "12.5")
        #expect(try Self.stored(MP.f64(-0.0)) == "-0.0")
        #expect(try Self.stored(MP.f64(1e300)) == "1e+300")
        #expect(try Self.stored(MP.f64(.leastNonzeroMagnitude)) == "5e-324")
        #expect(try Self.stored(MP.f64(.nan)) == "null")
        #expect(try Self.stored(MP.f64(.infinity)) == "null")
        #expect(try Self.stored(MP.f32(-.infinity)) == "null")
        #expect(try Self.stored(MP.f32(.nan)) == "null")
    }

    @Test func nilBoolAndStrings() throws {
        #expect(try Self.stored(MP.nil) == "null")
        #expect(try Self.stored(MP.bool(true)) == "true")
        #expect(try Self.stored(MP.bool(false)) == "false")
        #expect(try Self.stored(MP.str("")) == #""""#)
        #expect(try Self.stored(MP.str8("short in str8")) == #""short in str8""#)
        #expect(try Self.stored(MP.str16("x")) == #""x""#)
        #expect(try Self.stored(MP.str32("y")) == #""y""#)
        let long = String(repeating: "abcdefgh", count: 40)  // 320 bytes: str16
        #expect(try Self.stored(MP.str(long)) == "\"\(long)\"")
        #expect(try Self.stored(MP.str("quote\" backslash\\ nl\n cr\r tab\t bell\u{07} nul\u{00} del\u{7F}"))
            == #""quote\" backslash\\ nl\n cr\r tab\t bell\u0007 nul\u0000 del\#u{7F}""#)
        #expect(try Self.stored(MP.str("héllo ✓ 日本語 🐝")) == "\"héllo ✓ 日本語 🐝\"")
        // Escapes right at the 8-byte fast-path boundaries.
        #expect(try Self.stored(MP.str("abcdefg\"abcdefgh\\")) == #""abcdefg\"abcdefgh\\""#)
    }

    @Test func binIsStandardBase64() throws {
        #expect(try Self.stored(MP.bin8(Array("raw\0bytes".utf8))) == #""cmF3AGJ5dGVz""#)
        #expect(try Self.stored(MP.bin8([])) == #""""#)
        #expect(try Self.stored(MP.bin8([0xFF])) == #""/w==""#)
        #expect(try Self.stored(MP.bin16([0xFB, 0xFF])) == #""+/8=""#)
        #expect(try Self.stored(MP.bin32([0, 1, 2])) == #""AAEC""#)
        let big = (0..<300).map { UInt8($0 % 256) }
        let text = try Self.stored(MP.bin16(big))
        #expect(text.count == 2 + 400)
    }

    @Test func timestampsInDataBecomeRFC3339Nano() throws {
        #expect(try Self.stored(MP.timestamp32(1_715_949_296)) == #""2024-05-17T12:34:56Z""#)
        #expect(try Self.stored(MP.timestamp64(1_715_949_296, 789_123_456)) == #""2024-05-17T12:34:56.789123456Z""#)
        #expect(try Self.stored(MP.timestamp64(1_715_949_296, 500_000_000)) == #""2024-05-17T12:34:56.5Z""#)
        #expect(try Self.stored(MP.timestamp96(1_715_949_296, 1)) == #""2024-05-17T12:34:56.000000001Z""#)
        #expect(try Self.stored(MP.timestamp96(-1, 0)) == #""1969-12-31T23:59:59Z""#)
        #expect(try Self.stored(MP.goZeroTime) == #""0001-01-01T00:00:00Z""#)
        #expect(try Self.stored(MP.msgpTime(1_715_949_296, 789_000_000)) == #""2024-05-17T12:34:56.789Z""#)
        // Outside years 0001–9999, or nanoseconds ≥ 10⁹: kept as an opaque extension.
        #expect(try Self.stored(MP.timestamp96(-62_135_596_801, 0)) == #"{"$ext":-1,"base64":"AAAAAP////GIbgj/"}"#)
        #expect(try Self.stored(MP.timestamp64(0, 1_000_000_000)).hasPrefix(#"{"$ext":-1,"#))
    }

    @Test func otherExtensionsKeepTypeAndPayload() throws {
        #expect(try Self.stored(MP.ext(1, [0xAB])) == #"{"$ext":1,"base64":"qw=="}"#)
        #expect(try Self.stored(MP.ext(-5, [1, 2, 3])) == #"{"$ext":-5,"base64":"AQID"}"#)
        #expect(try Self.stored(MP.ext(42, [])) == #"{"$ext":42,"base64":""}"#)
        #expect(try Self.stored(MP.ext(7, Array(repeating: 0, count: 16))) == #"{"$ext":7,"base64":"AAAAAAAAAAAAAAAAAAAAAA=="}"#)
    }

    @Test func nestedContainersInEveryForm() throws {
        let value = MP.object([
            ("a", MP.array([MP.fixint(1), MP.str("x"), MP.nil])),
            ("m16", MP.map16([(MP.str("k"), MP.bool(true))])),
            ("a16", MP.array16([MP.fixint(2)])),
            ("a32", MP.array32([MP.fixint(3), MP.array([])])),
            ("m32", MP.map32([])),
        ])
        #expect(try Self.stored(value) == #"{"a":[1,"x",null],"m16":{"k":true},"a16":[2],"a32":[3,[]],"m32":{}}"#)
        // A 20-field data map (map16, as libhoney-go writes from 16 keys) keeps every field in order.
        let fields = (0..<20).map { ("f\($0)", MP.int($0)) }
        let decoded = try Self.decode([MP.event(fields)])
        #expect(Self.dataText(decoded, 0) == "{" + (0..<20).map { "\"f\($0)\":\($0)" }.joined(separator: ",") + "}")
    }

    // MARK: time and samplerate

    static func timeOf(_ time: [UInt8]) throws -> Int64 {
        let decoded = try decode([MP.event([("a", MP.fixint(1))], [("time", time)])])
        #expect(decoded.statuses == [.accepted])
        return decoded.batch.events[0].timeUnixNanos
    }

    @Test func timeInEveryForm() throws {
        #expect(try Self.timeOf(MP.timestamp32(1_715_949_296)) == 1_715_949_296_000_000_000)
        #expect(try Self.timeOf(MP.timestamp64(1_715_949_296, 789_123_456)) == 1_715_949_296_789_123_456)
        #expect(try Self.timeOf(MP.timestamp96(1_715_949_296, 789_123_456)) == 1_715_949_296_789_123_456)
        #expect(try Self.timeOf(MP.msgpTime(1_715_949_296, 789_123_456)) == 1_715_949_296_789_123_456)
        #expect(try Self.timeOf(MP.str("2024-05-17T14:34:56.5+02:00")) == 1_715_949_296_500_000_000)
        #expect(try Self.timeOf(MP.u32(1_715_949_296)) == 1_715_949_296_000_000_000)
        #expect(try Self.timeOf(MP.u64(1_715_949_296_789)) == 1_715_949_296_789_000_000)  // 13 digits: ms
        #expect(try Self.timeOf(MP.i64(1_715_949_296)) == 1_715_949_296_000_000_000)
        #expect(try Self.timeOf(MP.f64(1_715_949_296.5)) == 1_715_949_296_500_000_000)
        // Receive time: Go's zero time, pre-1970, negative, unparseable, other types, too far ahead.
        #expect(try Self.timeOf(MP.goZeroTime) == Self.receiveTime)
        #expect(try Self.timeOf(MP.timestamp96(-5, 0)) == Self.receiveTime)
        #expect(try Self.timeOf(MP.i8(-5)) == Self.receiveTime)
        #expect(try Self.timeOf(MP.str("yesterday")) == Self.receiveTime)
        #expect(try Self.timeOf(MP.nil) == Self.receiveTime)
        #expect(try Self.timeOf(MP.bool(true)) == Self.receiveTime)
        #expect(try Self.timeOf(MP.array([MP.fixint(1)])) == Self.receiveTime)
        #expect(try Self.timeOf(MP.ext(3, [1, 2, 3, 4])) == Self.receiveTime)
        let receiveSeconds = UInt32(Self.receiveTime / 1_000_000_000)
        #expect(try Self.timeOf(MP.timestamp32(receiveSeconds + 3_600)) == Self.receiveTime + 3_600 * 1_000_000_000)
        #expect(try Self.timeOf(MP.timestamp32(receiveSeconds + 3_601)) == Self.receiveTime)
    }

    static func sampleRateStatus(_ rate: [UInt8]) throws -> (EventStatus, Int?) {
        let decoded = try decode([MP.event([("a", MP.fixint(1))], [("samplerate", rate)])])
        return (decoded.statuses[0], decoded.batch.events.first?.sampleRate)
    }

    @Test func sampleRateForms() throws {
        let bad = Self.rejected("samplerate must be a non-negative integer")
        #expect(try Self.sampleRateStatus(MP.fixint(5)) == (.accepted, 5))
        #expect(try Self.sampleRateStatus(MP.fixint(0)) == (.accepted, 1))
        #expect(try Self.sampleRateStatus(MP.u8(200)) == (.accepted, 200))
        #expect(try Self.sampleRateStatus(MP.u64(7)) == (.accepted, 7))
        #expect(try Self.sampleRateStatus(MP.i64(9)) == (.accepted, 9))
        #expect(try Self.sampleRateStatus(MP.i16(300)) == (.accepted, 300))
        #expect(try Self.sampleRateStatus(MP.f64(3.0)) == (.accepted, 3))
        #expect(try Self.sampleRateStatus(MP.f32(2.0)) == (.accepted, 2))
        #expect(try Self.sampleRateStatus(MP.f64(0)) == (.accepted, 1))
        #expect(try Self.sampleRateStatus(MP.nil) == (.accepted, 1))
        #expect(try Self.sampleRateStatus(MP.fixint(-1)) == (bad, nil))
        #expect(try Self.sampleRateStatus(MP.i64(-100)) == (bad, nil))
        #expect(try Self.sampleRateStatus(MP.f64(2.5)) == (bad, nil))
        #expect(try Self.sampleRateStatus(MP.f64(-1)) == (bad, nil))
        #expect(try Self.sampleRateStatus(MP.f64(.nan)) == (bad, nil))
        #expect(try Self.sampleRateStatus(MP.f64(1e300)) == (bad, nil))
        #expect(try Self.sampleRateStatus(MP.u64(UInt64.max)) == (bad, nil))
        #expect(try Self.sampleRateStatus(MP.str("5")) == (bad, nil))
        #expect(try Self.sampleRateStatus(MP.bool(true)) == (bad, nil))
        #expect(try Self.sampleRateStatus(MP.array([MP.fixint(5)])) == (bad, nil))
    }

    // MARK: element shapes

    @Test func keysInAnyOrderUnknownKeysSkippedLastDuplicateWins() throws {
        let reordered = MP.object([
            ("time", MP.timestamp32(1_715_949_296)),
            ("unknown", MP.object([("deep", MP.array([MP.map32([(MP.str("x"), MP.bin8([1]))]), MP.ext(9, [1, 2])]))])),
            ("samplerate", MP.fixint(4)),
            ("data", MP.object([("old", MP.fixint(1))])),
            ("data", MP.object([("new", MP.fixint(2))])),
            ("samplerate", MP.fixint(6)),
        ])
        let nonStringKey = MP.map([
            (MP.fixint(1), MP.str("ignored")),
            (MP.str("data"), MP.object([("k", MP.str("v"))])),
            (MP.array([MP.nil]), MP.nil),
        ])
        let decoded = try Self.decode([reordered, nonStringKey])
        #expect(decoded.statuses == [.accepted, .accepted])
        #expect(Self.dataText(decoded, 0) == #"{"new":2}"#)
        #expect(decoded.batch.events[0].sampleRate == 6)
        #expect(decoded.batch.events[0].timeUnixNanos == 1_715_949_296_000_000_000)
        #expect(Self.dataText(decoded, 1) == #"{"k":"v"}"#)
        // The body holds exactly the accepted data, nothing from the overridden `data`.
        #expect(decoded.batch.body == Array(#"{"new":2}{"k":"v"}"#.utf8))
    }

    @Test func mixedBatchKeepsGoodEventsWithPositionalStatusesLikeJSON() throws {
        let elements: [[UInt8]] = [
            MP.event([("a", MP.fixint(1))]),
            MP.str("not an object"),
            MP.object([("time", MP.str("2024-05-17T12:34:56Z"))]),
            MP.object([("data", MP.str("text"))]),
            MP.event([("b", MP.fixint(2))], [("samplerate", MP.fixint(3))]),
            MP.event([]),
            MP.event([("c", MP.fixint(3))], [("samplerate", MP.fixint(-1))]),
            MP.object([("data", MP.nil)]),
            MP.object([("data", MP.array([MP.fixint(1)]))]),
            MP.fixint(42),
            MP.map([(MP.str("data"), MP.map([(MP.fixint(1), MP.fixint(2))]))]),
            MP.event([("bad", MP.strBytes([0x61, 0xFF]))]),
            MP.event([("f", MP.fixint(6))]),
        ]
        let decoded = try Self.decode(elements)
        #expect(decoded.statuses == [
            .accepted,
            Self.rejected("event must be a JSON object"),
            Self.rejected("event has no data object"),
            Self.rejected("event data must be a JSON object"),
            .accepted,
            Self.rejected("empty event data"),
            Self.rejected("samplerate must be a non-negative integer"),
            Self.rejected("event data must be a JSON object"),
            Self.rejected("event data must be a JSON object"),
            Self.rejected("event must be a JSON object"),
            Self.rejected("event data keys must be strings"),
            Self.rejected("event data must be valid UTF-8"),
            .accepted,
        ])
        #expect(decoded.batch.events.count == 3)
        #expect(Self.dataText(decoded, 0) == #"{"a":1}"#)
        #expect(Self.dataText(decoded, 1) == #"{"b":2}"#)
        #expect(decoded.batch.events[1].sampleRate == 3)
        #expect(Self.dataText(decoded, 2) == #"{"f":6}"#)
        #expect(decoded.batch.body == Array(#"{"a":1}{"b":2}{"f":6}"#.utf8), "rejected events leave nothing behind")

        // The JSON path gives the same statuses for the elements JSON can express.
        let json = try HoneycombDecoder().decodeBatch(
            body: Array(#"[{"data":{"a":1}},"not an object",{"time":"2024-05-17T12:34:56Z"},{"data":"text"},{"data":{"b":2},"samplerate":3},{"data":{}},{"data":{"c":3},"samplerate":-1},{"data":null},{"data":[1]},42,{"data":{"f":6}}]"#.utf8),
            dataset: "ds", keyID: "k", receiveTimeNanos: Self.receiveTime)
        #expect(json.statuses == Array(decoded.statuses[0..<10]) + [decoded.statuses[12]])
    }

    @Test func invalidUTF8AnywhereInDataRejectsTheEvent() throws {
        let invalid: [[UInt8]] = [
            [0xC0, 0x80],              // overlong NUL
            [0xE0, 0x80, 0x80],        // overlong
            [0xED, 0xA0, 0x80],        // UTF-16 surrogate
            [0xF4, 0x90, 0x80, 0x80],  // above U+10FFFF
            [0xF8],                    // never valid
            [0x61, 0xE2, 0x82],        // truncated sequence at the end
            [0x80],                    // lone continuation
            Array("abcdefghijklmnop".utf8) + [0xFF],  // after the 8-byte fast path
        ]
        for bytes in invalid {
            let asValue = try Self.decode([MP.event([("s", MP.strBytes(bytes))])])
            #expect(asValue.statuses == [Self.rejected("event data must be valid UTF-8")], "\(bytes)")
            let asKey = try Self.decode([MP.event([("ok", MP.fixint(1))]), MP.map([(MP.str("data"), MP.map([(MP.strBytes(bytes), MP.fixint(1))]))])])
            #expect(asKey.statuses == [.accepted, Self.rejected("event data must be valid UTF-8")])
            let nested = try Self.decode([MP.event([("a", MP.array([MP.object([("s", MP.strBytes(bytes))])]))])])
            #expect(nested.statuses == [Self.rejected("event data must be valid UTF-8")])
        }
        // Every valid boundary form passes.
        let valid: [UInt8] = [0xC2, 0x80, 0xDF, 0xBF, 0xE0, 0xA0, 0x80, 0xED, 0x9F, 0xBF, 0xEF, 0xBF, 0xBF, 0xF0, 0x90, 0x80, 0x80, 0xF4, 0x8F, 0xBF, 0xBF]
        let decoded = try Self.decode([MP.event([("s", MP.strBytes(valid))])])
        #expect(decoded.statuses == [.accepted])
        #expect(Self.dataText(decoded, 0) == "{\"s\":\"" + String(decoding: valid, as: UTF8.self) + "\"}")
    }

    /// Data nesting: the data map is level 1; 100 levels pass, 101 are rejected, as in the JSON path.
    @Test func depthLimitMatchesTheJSONPath() throws {
        func nestedArrays(_ levels: Int) -> [UInt8] {
            [UInt8](repeating: 0x91, count: levels) + MP.fixint(1)  // fixarray of one, `levels` times
        }
        func nestedJSON(_ levels: Int) -> String {
            String(repeating: "[", count: levels) + "1" + String(repeating: "]", count: levels)
        }
        for levels in [98, 99, 100] {
            let msgpack = try Self.decode([MP.event([("a", nestedArrays(levels))]), MP.event([("ok", MP.fixint(1))])])
            let json = try HoneycombDecoder().decodeBatch(
                body: Array("[{\"data\":{\"a\":\(nestedJSON(levels))}},{\"data\":{\"ok\":1}}]".utf8),
                dataset: "ds", keyID: "k", receiveTimeNanos: Self.receiveTime)
            #expect(msgpack.statuses == json.statuses, "levels \(levels)")
            #expect(msgpack.statuses[1] == .accepted)
        }
        let accepted = try Self.decode([MP.event([("a", nestedArrays(99))])])
        #expect(accepted.statuses == [.accepted])
        let tooDeep = try Self.decode([MP.event([("a", nestedArrays(100))]), MP.event([("ok", MP.fixint(1))])])
        #expect(tooDeep.statuses == [Self.rejected("event data is nested too deeply"), .accepted])
        #expect(Self.dataText(tooDeep, 0) == #"{"ok":1}"#)
        // Very deep nesting (far beyond the limit, also in an unknown key) is safe.
        let veryDeep = try Self.decode([
            MP.event([("a", nestedArrays(100_000))]),
            MP.object([("data", MP.object([("ok", MP.fixint(1))])), ("x", nestedArrays(100_000))]),
        ])
        #expect(veryDeep.statuses == [Self.rejected("event data is nested too deeply"), .accepted])
        // A non-time extension is an object: it counts as a level.
        var atLimit = MP.ext(1, [0])
        for _ in 0..<98 { atLimit = MP.array([atLimit]) }
        #expect(try Self.decode([MP.event([("a", atLimit)])]).statuses == [.accepted])
        #expect(try Self.decode([MP.event([("a", MP.array([atLimit]))])]).statuses == [Self.rejected("event data is nested too deeply")])
    }

    // MARK: whole request

    @Test func wholeRequestErrors() throws {
        #expect(throws: IngestError.emptyBody) { try Self.decodeBody([]) }
        #expect(throws: IngestError.malformed) { try Self.decodeBody(MP.object([("data", MP.object([("a", MP.fixint(1))]))])) }
        #expect(throws: IngestError.malformed) { try Self.decodeBody(MP.str("[]")) }
        #expect(throws: IngestError.malformed) { try Self.decodeBody(MP.array([MP.event([("a", MP.fixint(1))])]) + [0x00]) }
        #expect(throws: IngestError.malformed) { try Self.decodeBody(MP.array([MP.event([("a", [0xC1])])])) }
        #expect(throws: IngestError.malformed) { try Self.decodeBody(MP.array([MP.object([("x", [0xC1]), ("data", MP.object([("a", MP.fixint(1))]))])])) }
        #expect(throws: IngestError.tooLarge) {
            try Self.decodeBody(MP.array([MP.event([("a", MP.fixint(1))])]), limits: IngestLimits(maxDecodedBodyBytes: 5))
        }
        // The JSON that accepted events become is capped like a decoded body.
        let expanding = MP.array((0..<200).map { _ in MP.event([("control", MP.str(String(repeating: "\u{01}", count: 30)))]) })
        #expect(throws: IngestError.tooLarge) {
            try Self.decodeBody(expanding, limits: IngestLimits(maxDecodedBodyBytes: expanding.count * 3))
        }
        #expect(try Self.decodeBody(expanding, limits: IngestLimits(maxDecodedBodyBytes: expanding.count * 6)).batch.events.count == 200)
        // Empty arrays in every form.
        for empty: [UInt8] in [[0x90], [0xDC, 0, 0], [0xDD, 0, 0, 0, 0]] {
            let decoded = try Self.decodeBody(empty)
            #expect(decoded.statuses.isEmpty && decoded.batch.events.isEmpty)
        }
        // array16 and array32 headers around real events.
        let events = (0..<3).map { MP.event([("i", MP.int($0))]) }
        #expect(try Self.decodeBody(MP.array16(events)).batch.events.count == 3)
        #expect(try Self.decodeBody(MP.array32(events)).batch.events.count == 3)
    }
}
