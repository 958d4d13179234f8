import EventModel
import Ingest
import TestSupport
import Testing

@Suite struct BatchDecodingTests {
    static let receiveTime: Int64 = 1_717_200_000 * 1_000_000_000
    let decoder = HoneycombDecoder()

    func decode(_ text: String, limits: IngestLimits = .init()) throws(IngestError) -> DecodedRequest {
        try HoneycombDecoder(limits: limits).decodeBatch(
            body: Array(text.utf8), dataset: "ds", keyID: "key", receiveTimeNanos: Self.receiveTime)
    }

    func dataText(_ decoded: DecodedRequest, _ index: Int) -> String {
        String(decoding: decoded.batch.body[decoded.batch.events[index].dataRange], as: UTF8.self)
    }

    static func rejected(_ message: String) -> EventStatus { .rejected(status: 400, message: message) }

    // MARK: per-element outcomes

    @Test func mixedBatchKeepsGoodEventsWithPositionalStatuses() throws {
        let body = """
        [{"data":{"a":1}},
         "not an object",
         {"time":"2024-05-17T12:34:56Z"},
         {"data":"text"},
         {"data":{"b":2},"samplerate":3},
         {"data":{}},
         {"data":{"c":3},"samplerate":-1},
         {"data":null},
         {"data":[1,2]},
         42,
         {"data":{"d":4},"samplerate":"5"},
         {"data":{"e":5},"samplerate":2.5},
         {"data":{"f":6}}]
        """
        let decoded = try decode(body)
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
            Self.rejected("samplerate must be a non-negative integer"),
            Self.rejected("samplerate must be a non-negative integer"),
            .accepted,
        ])
        #expect(decoded.batch.events.count == 3)
        #expect(dataText(decoded, 0) == #"{"a":1}"#)
        #expect(dataText(decoded, 1) == #"{"b":2}"#)
        #expect(decoded.batch.events[1].sampleRate == 3)
        #expect(dataText(decoded, 2) == #"{"f":6}"#)
    }

    @Test func emptyArrayIsAcceptedWithNoStatuses() throws {
        let decoded = try decode(" [ ] ")
        #expect(decoded.statuses.isEmpty)
        #expect(decoded.batch.events.isEmpty)
    }

    @Test func dataRangeExcludesSurroundingWhitespaceAndIsExactObject() throws {
        let decoded = try decode("[ { \"data\" :  \n{ \"k\" : [ 1 , { } ] }  \n , \"time\" : 1 } ]")
        #expect(dataText(decoded, 0) == "{ \"k\" : [ 1 , { } ] }")
    }

    @Test func unknownKeysAreIgnoredAndLastDuplicateWins() throws {
        let decoded = try decode(#"[{"x":{"deep":[1,{"y":null}]},"data":{"old":1},"samplerate":4,"data":{"new":2},"samplerate":6,"z":true}]"#)
        #expect(decoded.statuses == [.accepted])
        #expect(dataText(decoded, 0) == #"{"new":2}"#)
        #expect(decoded.batch.events[0].sampleRate == 6)
    }

    @Test func escapedKeyNamesMeanWhatTheyUnescapeTo() throws {
        let decoded = try decode(#"[{"d\u0061ta":{"a":1},"sample\u0072ate":7}]"#)
        #expect(decoded.statuses == [.accepted])
        #expect(decoded.batch.events[0].sampleRate == 7)
        #expect(dataText(decoded, 0) == #"{"a":1}"#)
    }

    @Test(arguments: [
        ("absent", #"{"data":{"a":1}}"#, 1),
        ("zero", #"{"data":{"a":1},"samplerate":0}"#, 1),
        ("null", #"{"data":{"a":1},"samplerate":null}"#, 1),
        ("one", #"{"data":{"a":1},"samplerate":1}"#, 1),
        ("big", #"{"data":{"a":1},"samplerate":9223372036854775807}"#, Int.max),
        ("whole double", #"{"data":{"a":1},"samplerate":5.0}"#, 5),
        ("exponent", #"{"data":{"a":1},"samplerate":1e2}"#, 100),
        ("signed exponent", #"{"data":{"a":1},"samplerate":1E+2}"#, 100),
        ("negative zero", #"{"data":{"a":1},"samplerate":-0}"#, 1),
    ])
    func acceptedSampleRates(label: String, element: String, expected: Int) throws {
        let decoded = try decode("[" + element + "]")
        #expect(decoded.statuses == [.accepted], "\(label)")
        #expect(decoded.batch.events.first?.sampleRate == expected, "\(label)")
    }

    @Test(arguments: [
        #"{"data":{"a":1},"samplerate":-1}"#,
        #"{"data":{"a":1},"samplerate":-0.5}"#,
        #"{"data":{"a":1},"samplerate":2.5}"#,
        #"{"data":{"a":1},"samplerate":9223372036854775808}"#,
        #"{"data":{"a":1},"samplerate":1e400}"#,
        #"{"data":{"a":1},"samplerate":"10"}"#,
        #"{"data":{"a":1},"samplerate":true}"#,
        #"{"data":{"a":1},"samplerate":[1]}"#,
        #"{"data":{"a":1},"samplerate":{"n":1}}"#,
    ])
    func rejectedSampleRates(element: String) throws {
        let decoded = try decode("[" + element + ",{\"data\":{\"ok\":1}}]")
        #expect(decoded.statuses == [Self.rejected("samplerate must be a non-negative integer"), .accepted])
    }

    // MARK: time

    @Test func timeFormatsAndFallbacks() throws {
        let body = """
        [{"data":{"i":0},"time":"2024-05-17T12:34:56.789123456Z"},
         {"data":{"i":1},"time":"2024-05-17T14:34:56.5+02:00"},
         {"data":{"i":2},"time":1715949296789},
         {"data":{"i":3},"time":1715949296.25},
         {"data":{"i":4},"time":"1715949296"},
         {"data":{"i":5}},
         {"data":{"i":6},"time":"yesterday"},
         {"data":{"i":7},"time":null},
         {"data":{"i":8},"time":true},
         {"data":{"i":9},"time":"0001-01-01T00:00:00Z"},
         {"data":{"i":10},"time":"2030-01-01T00:00:00Z"},
         {"data":{"i":11},"time":"2024-05-17T12:34:56\\u002e5Z"},
         {"data":{"i":12},"time":-5}]
        """
        let decoded = try decode(body)
        #expect(decoded.statuses.allSatisfy { $0 == .accepted })
        let times = decoded.batch.events.map(\.timeUnixNanos)
        let base: Int64 = 1_715_949_296_000_000_000
        #expect(times == [
            base + 789_123_456,
            base + 500_000_000,
            base + 789_000_000,
            base + 250_000_000,
            base,
            Self.receiveTime,
            Self.receiveTime,
            Self.receiveTime,
            Self.receiveTime,
            Self.receiveTime,
            Self.receiveTime,  // 2030 is more than an hour after the receive time
            base + 500_000_000,  // escaped '.' still reads as a time
            Self.receiveTime,
        ])
    }

    @Test func futureSkewBoundaryIsInclusive() throws {
        let limits = IngestLimits(maxFutureSkewNanos: 60 * 1_000_000_000)
        let atLimit = Self.receiveTime + 60 * 1_000_000_000
        func element(_ nanos: Int64) -> String {
            var text: [UInt8] = []
            EventTime.formatRFC3339Nano(nanos, into: &text)
            return #"{"data":{"a":1},"time":""# + String(decoding: text, as: UTF8.self) + #""}"#
        }
        let decoded = try decode("[" + element(atLimit) + "," + element(atLimit + 1) + "]", limits: limits)
        #expect(decoded.batch.events.map(\.timeUnixNanos) == [atLimit, Self.receiveTime])
    }

    // MARK: whole-body errors

    @Test(arguments: ["", " ", "\n\t\r "])
    func emptyBodies(text: String) {
        #expect(throws: IngestError.emptyBody) { try decode(text) }
    }

    @Test(arguments: [
        "not json",
        "{\"data\":{}}",
        "\"string\"",
        "42",
        "null",
        "[{\"data\":{\"a\":1}}",
        "[{\"data\":{\"a\":1}",
        "[{\"data\":{\"a\":1}}]]",
        "[{\"data\":{\"a\":1}}] x",
        "[{\"data\":{\"a\":1}}][]",
        "[{\"data\":{\"a\":1}},]",
        "[,{\"data\":{\"a\":1}}]",
        "[{\"data\":{\"a\":1},}]",
        "[{\"data\":{\"a\":1,}}]",
        "[{\"data\":{\"a\" 1}}]",
        "[{\"data\":{\"a\":tru}}]",
        "[{\"data\":{\"a\":nul}}]",
        "[{\"data\":{\"a\":truex}}]",
        "[{\"data\":{\"a\":01}}]",
        "[{\"data\":{\"a\":1.}}]",
        "[{\"data\":{\"a\":-}}]",
        "[{\"data\":{\"a\":1e}}]",
        "[{\"data\":{\"a\":+1}}]",
        "[{\"data\":{\"a\":\"bad \\x escape\"}}]",
        "[{\"data\":{\"a\":\"short \\u12\"}}]",
        "[{\"data\":{\"a\":\"lone \\ud800 high\"}}]",
        "[{\"data\":{\"a\":\"lone \\udc00 low\"}}]",
        "[{\"data\":{\"a\":\"tab\tinside\"}}]",
        "[{\"data\":{\"bad \\q key\":1}}]",
        "[{\"data\":{\"a\":\"unterminated}}]",
        "[{\"data\":{\"a\":1}},{\"other\":tru}]",
        "[{\"data\":{\"a\":1},\"time\":\"\\x\"}]",
        "[{\"data\":{\"a\":1},\"samplerate\":1.}]",
        "[\"bad \\escape\"]",
        "[{\"data\":{\"a\":1}} {\"data\":{\"b\":2}}]",
        "[{\"data\":{\"a\":[1 2]}}]",
        "[{\"data\":{\"a\":{\"b\":1]}}]",
        // simdjson skips an unconsumed string followed by ':' as if it were a key; these must still fail.
        "[{\"data\":{\"a\":1}},\"time\":\"x\",{\"data\":{\"b\":2}}]",
        "[{\"data\":{\"a\":[\"k\":1]}}]",
        "[{\"data\":{\"a\":1},\"x\":[\"k\":{\"y\":2}]}]",
        "[\"k\":1]",
        "[{\"data\":{\"a\":1}},1:2]",
        "[{\"data\":{\"a\":1}},true:2]",
        "[{\"data\":{\"a\":1}},{\"data\":\"s\":1}]",
    ])
    func malformedBodies(text: String) {
        #expect(throws: IngestError.malformed) { try decode(text) }
    }

    @Test func invalidUTF8IsMalformed() {
        for bad: [UInt8] in [[0xFF], [0xC3], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xF4, 0x90, 0x80, 0x80]] {
            let body = Array(#"[{"data":{"a":""#.utf8) + bad + Array(#""}}]"#.utf8)
            #expect(throws: IngestError.malformed) {
                try decoder.decodeBatch(body: body, dataset: "ds", keyID: "k", receiveTimeNanos: 0)
            }
        }
    }

    @Test func validEdgeCasesAreAccepted() throws {
        let data = #"{"u":"\u00e9\ud83d\udc1d\/\"\\\b\f\n\r\t","n":[0,-0,1.5e-3,1E+9,-12.75e2,123456789012345678901234567890],"# +
            #""l":[true,false,null],"e":{},"a":[],"del":"\#u{7f}","raw":"héllo 🐝","deep":[[[[{"x":[]}]]]]}"#
        let decoded = try decode("[{\"data\":" + data + "}]")
        #expect(decoded.statuses == [.accepted])
        #expect(dataText(decoded, 0) == data)
        #expect(try TestJSON.parse(Array(dataText(decoded, 0).utf8)) == TestJSON.parse(Array(data.utf8)))
    }

    @Test func tooLargeBodyIsRefusedBeforeParsing() {
        let limits = IngestLimits(maxDecodedBodyBytes: 10)
        #expect(throws: IngestError.tooLarge) { try decode(#"[{"data":{"a":1}}]"#, limits: limits) }
    }

    // MARK: nesting

    static func nested(_ depth: Int) -> String {
        String(repeating: "{\"n\":", count: depth - 1) + "{}" + String(repeating: "}", count: depth - 1)
    }

    @Test func nestingLimitIsPerEventAndCountsFromData() throws {
        let limit = HoneycombDecoder.maxEventDepth
        #expect(limit == 100)
        let okDeep = Self.nested(limit)
        let tooDeep = Self.nested(limit + 1)
        let decoded = try decode("[{\"data\":\(okDeep)},{\"data\":\(tooDeep)},{\"data\":{\"after\":1}},{\"x\":[\(Self.nested(limit))]}]")
        #expect(decoded.statuses == [
            .accepted,
            Self.rejected("event data is nested too deeply"),
            .accepted,
            Self.rejected("event data is nested too deeply"),
        ])
        #expect(dataText(decoded, 0) == okDeep)
        #expect(dataText(decoded, 1) == #"{"after":1}"#)
    }

    // MARK: buffers

    @Test func paddedBodyIsUsedInPlaceAndUnpaddedBodyIsCopied() throws {
        var padded: [UInt8] = []
        padded.reserveCapacity(200)
        padded.append(contentsOf: #"[{"data":{"a":1}}]"#.utf8)
        let decoded = try decoder.decodeBatch(body: padded, dataset: "ds", keyID: "k", receiveTimeNanos: 0)
        let sameStorage = padded.withUnsafeBufferPointer { mine in
            decoded.batch.body.withUnsafeBufferPointer { theirs in mine.baseAddress == theirs.baseAddress }
        }
        #expect(sameStorage)

        let exact = Array(#"[{"data":{"a":1}}]"#.utf8)
        let copied = try decoder.decodeBatch(body: exact, dataset: "ds", keyID: "k", receiveTimeNanos: 0)
        #expect(copied.batch.body == exact)
        #expect(copied.batch.body.capacity >= exact.count + 64)
    }

    /// Over 1 MiB, so the thread's parser buffers are dropped before the next, smaller parse.
    @Test func resultsDoNotLeakBetweenCallsOnOneThread() throws {
        let big = "[" + Array(repeating: #"{"data":{"a":1},"time":"2024-05-17T12:34:56Z"}"#, count: 25_000).joined(separator: ",") + "]"
        #expect(big.utf8.count > 1 << 20)
        let first = try decode(big)
        #expect(first.batch.events.count == 25_000)
        #expect(first.batch.events.allSatisfy { $0.timeUnixNanos == 1_715_949_296_000_000_000 })
        let second = try decode(#"[{"data":{"b":2}}]"#)
        #expect(second.statuses == [.accepted])
        #expect(dataText(second, 0) == #"{"b":2}"#)
        #expect(second.batch.events[0].timeUnixNanos == Self.receiveTime)
    }

    @Test func concurrentDecodingOnManyThreads() async throws {
        let bodies = (0..<8).map { worker in
            "[" + (0..<200).map { #"{"data":{"worker":\#(worker),"i":\#($0)},"samplerate":\#(worker + 1)}"# }.joined(separator: ",") + "]"
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (worker, body) in bodies.enumerated() {
                group.addTask {
                    for _ in 0..<50 {
                        let decoded = try HoneycombDecoder().decodeBatch(
                            body: Array(body.utf8), dataset: "ds", keyID: "k", receiveTimeNanos: 0)
                        guard decoded.batch.events.count == 200,
                              decoded.batch.events.allSatisfy({ $0.sampleRate == worker + 1 }),
                              String(decoding: decoded.batch.body[decoded.batch.events[199].dataRange], as: UTF8.self)
                                  == #"{"worker":\#(worker),"i":199}"#
                        else {
                            Issue.record("worker \(worker) got another thread's results")
                            return
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}
