import Foundation
import Ingest
import TestSupport
import Testing
import TestSupport

/// Dataset rules, sample rates, flattening, limits and malformed input for ``OTLPDecoder``.
@Suite struct OTLPDecoderTests {
    typealias Proto = OTLPTestProto
    static let receiveTime: Int64 = 1_700_000_100 * 1_000_000_000
    static let environmentKey = "hcaik_01hzacceptancetestkey0000000000000000000000000000000000000"
    static let classicKey = "0123456789abcdef0123456789abcdef"

    static func context(key: String = environmentKey, dataset: String? = nil) -> OTLPRequestContext {
        OTLPRequestContext(
            keyID: APIKeyID.of(key), keyKind: APIKeyKind(key: key), datasetHeader: dataset, receiveTimeNanos: receiveTime)
    }

    static func decode(
        _ body: [UInt8], _ signal: OTLPSignal = .traces, context: OTLPRequestContext = context(),
        limits: OTLPLimits = .init()
    ) throws -> OTLPDecodeResult {
        try OTLPDecoder(limits: limits).decode(body, signal: signal, encoding: .protobuf, context: context)
    }

    static func data(_ result: OTLPDecodeResult) throws -> [TestJSON] {
        try result.batches.flatMap { batch in
            try batch.events.map { try TestJSON.parse(Array(batch.body[$0.dataRange])) }
        }
    }

    static func logsRequest(resource: [(String, Proto.Value)]) -> [UInt8] {
        var request = Proto()
        request.message(1) { resourceLogs in
            resourceLogs.resource(resource)
            resourceLogs.message(2) { scopeLogs in
                scopeLogs.message(2) { record in
                    record.fixed64(1, 1_700_000_000_000_000_000)
                    record.message(5) { body in body.string(1, "hello") }
                }
            }
        }
        return request.bytes
    }

    static func metricsRequest(resource: [(String, Proto.Value)] = []) -> [UInt8] {
        var request = Proto()
        request.message(1) { resourceMetrics in
            resourceMetrics.resource(resource)
            resourceMetrics.message(2) { scopeMetrics in
                scopeMetrics.message(2) { metric in
                    metric.string(1, "queue.depth")
                    metric.message(5) { gauge in
                        gauge.message(1) { point in
                            point.fixed64(3, 1_700_000_000_123_456_789)
                            point.fixed64(6, 42)
                        }
                    }
                }
            }
        }
        return request.bytes
    }

    // MARK: datasets

    @Test func environmentKeysUseTheTrimmedServiceName() throws {
        let body = Proto.traceRequest([(attributes: [("service.name", .string("  checkout  "))], spans: [Proto.span()])])
        let result = try Self.decode(body)
        #expect(result.batches.map(\.dataset) == ["checkout"])
        #expect(result.acceptedItems == 1)
    }

    @Test(arguments: [nil, "", "   ", "unknown_service", "unknown_service:python"] as [String?])
    func missingBlankOrUnknownServiceNamesGoToUnknownService(serviceName: String?) throws {
        let attributes: [(String, Proto.Value)] = serviceName.map { [("service.name", .string($0))] } ?? []
        let body = Proto.traceRequest([(attributes: attributes, spans: [Proto.span()])])
        #expect(try Self.decode(body).batches.map(\.dataset) == ["unknown_service"])
    }

    @Test func classicKeysNeedTheDatasetHeaderForTracesAndMetrics() throws {
        let traces = Proto.traceRequest([(attributes: [("service.name", .string("svc"))], spans: [Proto.span()])])
        #expect(throws: OTLPError.missingDatasetHeader) { try Self.decode(traces, context: Self.context(key: Self.classicKey)) }
        #expect(throws: OTLPError.missingDatasetHeader) {
            try Self.decode(Self.metricsRequest(), .metrics, context: Self.context(key: Self.classicKey))
        }
        let result = try Self.decode(traces, context: Self.context(key: Self.classicKey, dataset: "my-dataset"))
        #expect(result.batches.map(\.dataset) == ["my-dataset"])
        #expect(OTLPError.missingDatasetHeader.status == 401)
        #expect(OTLPError.missingDatasetHeader.message == "missing 'x-honeycomb-dataset' header")
    }

    @Test func logsUseServiceNameThenHeaderThenUnknownLogSource() throws {
        let named = Self.logsRequest(resource: [("service.name", .string("api"))])
        let unnamed = Self.logsRequest(resource: [])
        #expect(try Self.decode(named, .logs, context: Self.context(dataset: "hdr")).batches.map(\.dataset) == ["api"])
        #expect(try Self.decode(unnamed, .logs, context: Self.context(dataset: "hdr")).batches.map(\.dataset) == ["hdr"])
        #expect(try Self.decode(unnamed, .logs).batches.map(\.dataset) == ["unknown_log_source"])
        // Classic keys need no header for logs.
        let classic = try Self.decode(unnamed, .logs, context: Self.context(key: Self.classicKey))
        #expect(classic.batches.map(\.dataset) == ["unknown_log_source"])
        let log = try #require(try Self.data(classic).first)
        #expect(log["body"] == .string("hello"))
        #expect(log["severity"] == .string("unspecified"))
        #expect(log["meta.signal_type"] == .string("log"))
    }

    @Test func metricsUseTheHeaderOrUnknownMetrics() throws {
        let body = Self.metricsRequest(resource: [("service.name", .string("svc"))])
        #expect(try Self.decode(body, .metrics).batches.map(\.dataset) == ["unknown_metrics"])
        let result = try Self.decode(body, .metrics, context: Self.context(dataset: "infra"))
        #expect(result.batches.map(\.dataset) == ["infra"])
        let event = try #require(result.batches.first?.events.first)
        #expect(event.timeUnixNanos == 1_700_000_000_000_000_000)  // truncated to the second
        let data = try #require(try Self.data(result).first)
        #expect(data["queue.depth"] == .number("42"))
        #expect(data["metric.type"] == .string("gauge"))
    }

    @Test func resourcesWithTheSameDatasetShareOneBatchInRequestOrder() throws {
        let body = Proto.traceRequest([
            (attributes: [("service.name", .string("a"))], spans: [Proto.span(name: "a1")]),
            (attributes: [("service.name", .string("b"))], spans: [Proto.span(name: "b1")]),
            (attributes: [("service.name", .string("a"))], spans: [Proto.span(name: "a2")]),
        ])
        let result = try Self.decode(body)
        #expect(result.batches.map(\.dataset) == ["a", "b"])
        let names = try result.batches.map { batch in
            try batch.events.map { try TestJSON.parse(Array(batch.body[$0.dataRange]))["name"] }
        }
        #expect(names == [[.string("a1"), .string("a2")], [.string("b1")]])
    }

    // MARK: fields

    @Test func sampleRateComesFromTheAttributeAndIsRemoved() throws {
        let body = Proto.traceRequest([
            (attributes: [("service.name", .string("s")), ("SampleRate", .int(3))],
             spans: [Proto.span(attributes: [("sampleRate", .string("10.4"))]), Proto.span(), Proto.span(traceState: "ot=th:8")]),
        ])
        let result = try Self.decode(body)
        #expect(result.batches[0].events.map(\.sampleRate) == [10, 3, 3])
        for data in try Self.data(result) {
            #expect(data["sampleRate"] == nil && data["SampleRate"] == nil)
        }
        let traceState = Proto.traceRequest([(attributes: [], spans: [Proto.span(traceState: "ot=th:8")])])
        #expect(try Self.decode(traceState).batches[0].events.map(\.sampleRate) == [2])
        let tooSmall = Proto.traceRequest([(attributes: [], spans: [Proto.span(attributes: [("sampleRate", .int(-5))])])])
        #expect(try Self.decode(tooSmall).batches[0].events.map(\.sampleRate) == [1])
    }

    @Test func kvlistsFlattenToDepthFiveThenBecomeJSONStrings() throws {
        func nested(_ depth: Int) -> Proto.Value {
            depth == 0 ? .string("leaf") : .kvlist([("k\(depth)", nested(depth - 1))])
        }
        let span = Proto.span(attributes: [
            ("shallow", nested(2)), ("deep", nested(7)),
            ("blob", .bytes([0, 1, 2, 0xff])), ("empty.array", .array([])), ("nan", .double(.nan)),
            ("mixed", .array([.int(1), .string("x\"y"), .kvlist([("b", .bool(true)), ("a", .double(0.5))]), .empty])),
        ])
        let data = try #require(try Self.data(try Self.decode(Proto.traceRequest([(attributes: [], spans: [span])]))).first)
        #expect(data["shallow.k2.k1"] == .string("leaf"))
        #expect(data["deep.k7.k6.k5.k4.k3"] == .string("{\"k2\":{\"k1\":\"leaf\"}}\n"))
        #expect(data["blob"] == .string("\"AAEC/w==\"\n"))
        #expect(data["empty.array"] == .string("null\n"))
        #expect(data["nan"] == nil)
        #expect(data["mixed"] == .string("[1,\"x\\\"y\",{\"a\":0.5,\"b\":true}]\n"))
    }

    @Test func spanAttributesBeatIntrinsicsWhichBeatScopeAndResource() throws {
        let span = Proto.span(name: "real", attributes: [("type", .string("custom")), ("host", .string("span"))])
        let body = Proto.traceRequest([(attributes: [("name", .string("resource")), ("host", .string("resource"))], spans: [span])])
        let data = try #require(try Self.data(try Self.decode(body)).first)
        #expect(data["type"] == .string("custom"))
        #expect(data["name"] == .string("real"))
        #expect(data["host"] == .string("span"))
        #expect(data["library.name"] == .string("test.scope"))
    }

    @Test func shortTraceIDsAreTrimmedAndInvalidDurationsFlagged() throws {
        let span = Proto.span(
            traceID: Array(repeating: 0, count: 8) + [1, 2, 3, 4, 5, 6, 7, 8], start: 2_000, end: 1_000, statusCode: 2)
        let result = try Self.decode(Proto.traceRequest([(attributes: [], spans: [span])]))
        let data = try #require(try Self.data(result).first)
        #expect(data["trace.trace_id"] == .string("0102030405060708"))
        #expect(data["meta.invalid_duration"] == .bool(true))
        #expect(data["duration_ms"] == .number("0.0"))
        #expect(data["error"] == .bool(true))
        // A start time more than an hour ahead of the receive time is replaced by it.
        let future = Proto.span(start: UInt64(Self.receiveTime) + 7_200_000_000_000, end: UInt64(Self.receiveTime) + 7_200_000_000_001)
        let later = try Self.decode(Proto.traceRequest([(attributes: [], spans: [future])]))
        #expect(later.batches[0].events[0].timeUnixNanos == Self.receiveTime)
    }

    @Test func oversizedItemsAreRejectedAndTheRestKept() throws {
        let big = Proto.span(name: "big", attributes: [("blob", .string(String(repeating: "x", count: 5_000)))])
        let body = Proto.traceRequest([(attributes: [], spans: [Proto.span(name: "small"), big, Proto.span(name: "small2")])])
        let result = try Self.decode(body, limits: OTLPLimits(maxEventBytes: 2_000))
        #expect(result.acceptedItems == 2)
        #expect(result.rejectedItems == 1)
        #expect(result.rejectionMessage?.contains("1 spans") == true)
        #expect(try Self.data(result).map { $0["name"] } == [.string("small"), .string("small2")])
        // The rejected span's bytes are gone, so the accepted events' ranges still hold valid JSON.
        for batch in result.batches {
            for event in batch.events { #expect(TestJSON.isValid(batch.body[event.dataRange])) }
        }
    }

    /// Small spans under a big resource expand far past the in-place estimate (four output bytes per
    /// input byte): the events move to a growable buffer and must come out intact.
    @Test func requestsThatExpandPastTheEstimateStayIntact() throws {
        let resource: [(String, Proto.Value)] = (0..<40).map { ("resource.attribute.\($0)", .string(String(repeating: "r", count: 60))) }
        let spans = (0..<300).map { Proto.span(name: "s\($0)") }
        let body = Proto.traceRequest([(attributes: resource + [("service.name", .string("wide"))], spans: spans)])
        let result = try Self.decode(body)
        #expect(result.acceptedItems == 300)
        let batch = try #require(result.batches.first)
        #expect(batch.body.count > body.count * 4 + 64 * 1024)
        let events = try Self.data(result)
        #expect(events.count == 300)
        #expect(events.last?["name"] == .string("s299"))
        #expect(events.last?["resource.attribute.39"] == .string(String(repeating: "r", count: 60)))
    }

    @Test func invalidUTF8IsReplacedNotPassedThrough() throws {
        var request = Proto()
        request.message(1) { resourceSpans in
            resourceSpans.message(2) { scopeSpans in
                scopeSpans.bytes(2, Proto.span(name: "ok", extra: { span in span.bytes(5, [0x61, 0xff, 0x62, 0xc3]) }))
            }
        }
        let data = try #require(try Self.data(try Self.decode(request.bytes)).first)
        #expect(data["name"] == .string("a\u{FFFD}b\u{FFFD}"))
    }

    @Test func emptyRequestsAreAcceptedWithNoEvents() throws {
        #expect(try Self.decode([]).batches.isEmpty)
        let json = try OTLPDecoder().decode(Array("{}".utf8), signal: .logs, encoding: .json, context: Self.context())
        #expect(json.batches.isEmpty && json.acceptedItems == 0)
    }

    // MARK: malformed input

    @Test(arguments: ["otel-py-traces-protobuf", "otel-py-logs-protobuf", "otel-py-metrics-protobuf"])
    func everyTruncationOfAFixtureIsMalformed(name: String) throws {
        let body = try WireFixture("otlp/" + name).body
        let signal = OTLPFixtureTests.signal(of: name)
        for length in 1..<body.count {
            #expect(throws: OTLPError.malformed) { try Self.decode(Array(body[..<length]), signal) }
        }
    }

    @Test func everyTruncationOfAJSONFixtureIsMalformed() throws {
        let body = try WireFixture("otlp/otel-py-traces-json-synthetic").body
        for length in 0..<body.count {
            #expect(throws: OTLPError.malformed) {
                try OTLPDecoder().decode(Array(body[..<length]), signal: .traces, encoding: .json, context: Self.context())
            }
        }
    }

    @Test func overlongLengthsWrongWireTypesAndBadVarintsAreMalformed() throws {
        let cases: [[UInt8]] = [
            [0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f],  // length far past the end
            [0x0a, 0x05, 0x01],  // length past the end
            [0x08, 0x01],  // resource_spans as a varint
            [0x0a, 0x02, 0x08],  // truncated inner varint
            [0x0b],  // group start
            [0x00, 0x00],  // field number 0
            Array(repeating: 0xff, count: 11) + [0x01],  // varint longer than ten bytes
            Proto.traceRequest([(attributes: [], spans: [Proto.span(extra: { $0.varint(7, 5) })])]),  // start time as varint
            Proto.traceRequest([(attributes: [], spans: [Proto.span(extra: { $0.fixed64(6, 2) })])]),  // kind as fixed64
            Proto.traceRequest([(attributes: [], spans: [Proto.span(extra: { $0.fixed32(16, 1); $0.tag(9, 1) })])]),
        ]
        for body in cases {
            #expect(throws: OTLPError.malformed) { try Self.decode(body) }
        }
    }

    @Test func unknownFieldsAreSkipped() throws {
        let span = Proto.span(name: "kept", extra: { span in
            span.varint(99, 7)
            span.fixed32(100, 1)
            span.fixed64(101, 1)
            span.string(102, "ignored")
        })
        var request = Proto()
        request.varint(50, 1)
        request.bytes += Proto.traceRequest([(attributes: [], spans: [span])])
        let data = try #require(try Self.data(try Self.decode(request.bytes)).first)
        #expect(data["name"] == .string("kept"))
    }

    @Test func hostileNestingIsMalformedNotACrash() throws {
        var value = Proto.Value.string("x")
        for _ in 0..<500 { value = .array([value]) }
        let body = Proto.traceRequest([(attributes: [], spans: [Proto.span(attributes: [("deep", value)])])])
        #expect(throws: OTLPError.malformed) { try Self.decode(body) }
        let deepJSON = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        let json = Array("{\"resourceSpans\":\(deepJSON)}".utf8)
        #expect(throws: OTLPError.malformed) {
            try OTLPDecoder().decode(json, signal: .traces, encoding: .json, context: Self.context())
        }
    }

    @Test func badOTLPJSONIsMalformed() throws {
        let cases = [
            #"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz"}]}]}]}"#,  // not hex
            #"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"abc"}]}]}]}"#,  // odd length
            #"{"resourceSpans":[{"scopeSpans":[{"spans":[{"kind":"SPAN_KIND_SERVER"}]}]}]}"#,  // enum name
            #"{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":"-1"}]}]}]}"#,
            #"{"resourceSpans":{}}"#,  // a repeated field that is not an array
            #"{"resourceSpans":[]} x"#,
            #"["#,
            "{\"a\":\"\u{1}\"}",
        ]
        for text in cases {
            #expect(throws: OTLPError.malformed, "\(text)") {
                try OTLPDecoder().decode(Array(text.utf8), signal: .traces, encoding: .json, context: Self.context())
            }
        }
        // Unknown fields, null, numbers for 64-bit integers and upper-case hex are fine.
        let good = #"{"x":[1,{"y":null}],"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"ABCDEF0123456789ABCDEF0123456789","spanId":"0011223344556677","startTimeUnixNano":1700000000000000000,"name":null,"kind":2,"attributes":[{"key":"n","value":{"intValue":5}},{"key":"d","value":{"doubleValue":"Infinity"}},{"key":"b","value":{"bytesValue":"AAE"}}]}]}]}]}"#
        let result = try OTLPDecoder().decode(Array(good.utf8), signal: .traces, encoding: .json, context: Self.context())
        let data = try #require(try Self.data(result).first)
        #expect(data["trace.trace_id"] == .string("abcdef0123456789abcdef0123456789"))
        #expect(data["n"] == .number("5"))
        #expect(data["d"] == nil)
        #expect(data["b"] == .string("\"AAE=\"\n"))
        #expect(result.batches[0].events[0].timeUnixNanos == 1_700_000_000_000_000_000)
    }

    /// Seeded mutations of real requests: the decoder either refuses the body or returns events that
    /// are all valid JSON objects; it never crashes.
    @Test func seededFuzzNeverCrashesAndOnlyEmitsValidJSON() throws {
        var generator = SplitMix64(seed: 0x5eed_07_1b)
        let seeds = try ["otel-py-traces-protobuf", "otel-py-logs-protobuf", "otel-py-metrics-protobuf"].map {
            (try WireFixture("otlp/" + $0).body, OTLPFixtureTests.signal(of: $0))
        }
        var accepted = 0
        for round in 0..<3_000 {
            let (seed, signal) = seeds[round % seeds.count]
            var body = seed
            for _ in 0..<(1 + Int(generator.next() % 4)) {
                let position = Int(generator.next() % UInt64(body.count))
                switch generator.next() % 3 {
                case 0: body[position] = UInt8(truncatingIfNeeded: generator.next())
                case 1: body[position] ^= 1 << UInt8(generator.next() % 8)
                default: body.insert(UInt8(truncatingIfNeeded: generator.next()), at: position)
                }
            }
            guard let result = try? Self.decode(body, signal) else { continue }
            accepted += 1
            for batch in result.batches {
                for event in batch.events {
                    guard case .object = try TestJSON.parse(Array(batch.body[event.dataRange])) else {
                        Issue.record("round \(round): an event is not a JSON object")
                        return
                    }
                }
            }
        }
        #expect(accepted > 0)  // some mutations only touch values, so the check above ran
        var random = SplitMix64(seed: 42)
        for _ in 0..<2_000 {
            let noise = (0..<Int(random.next() % 64)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            for signal in OTLPSignal.allCases {
                _ = try? Self.decode(noise, signal)
                _ = try? OTLPDecoder().decode(noise, signal: signal, encoding: .json, context: Self.context())
            }
        }
    }

    // MARK: content types

    @Test func contentTypes() {
        #expect(OTLPEncoding(contentType: "application/x-protobuf") == .protobuf)
        #expect(OTLPEncoding(contentType: "application/protobuf") == .protobuf)
        #expect(OTLPEncoding(contentType: "Application/JSON; charset=utf-8") == .json)
        #expect(OTLPEncoding(contentType: "text/plain") == nil)
        #expect(OTLPEncoding(contentType: nil) == nil)
        #expect(OTLPEncoding.unsupportedContentTypeMessage.hasPrefix("unsupported content-type, valid types are: "))
        #expect(OTLPError.malformed.status == 400)
        #expect(OTLPError.malformed.message == "failed to parse OTLP request body")
    }
}

/// The string escaper's eight-byte fast path agrees with a byte-by-byte reference on every position.
@Suite struct OTLPStringEscapingTests {
    @Test func escapingMatchesAReferenceAtEveryOffset() throws {
        let specials: [UInt8] = [0x22, 0x5c, 0x0a, 0x01, 0x1f, 0x7f, 0xc3, 0xa9, 0xff, 0x20, 0x21, 0x5b, 0x5d]
        for special in specials {
            for position in 0..<20 {
                var bytes = Array(repeating: UInt8(ascii: "a"), count: 20)
                bytes[position] = special
                var request = OTLPTestProto()
                request.message(1) { resourceSpans in
                    resourceSpans.message(2) { scopeSpans in
                        scopeSpans.bytes(2, OTLPTestProto.span(name: "", extra: { $0.bytes(5, bytes) }))
                    }
                }
                let result = try OTLPDecoderTests.decode(request.bytes)
                let data = try #require(try OTLPDecoderTests.data(result).first)
                let expected = String(decoding: bytes, as: UTF8.self)  // invalid UTF-8 → U+FFFD, as the decoder does
                #expect(data["name"] == .string(expected), "byte \(special) at \(position)")
            }
        }
    }
}
