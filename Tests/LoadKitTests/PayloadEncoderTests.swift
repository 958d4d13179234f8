import CZlib
import CZstd
import TestSupport
import Testing

@testable import LoadKit

@Suite struct PayloadEncoderTests {
    static let fixedTime: Int64 = 1_714_566_896_789_000_000  // 2024-05-01T12:34:56.789Z

    func events(_ count: Int, bytes: Int = 368, run: String? = nil) -> [GeneratedEvent] {
        var generator = EventGenerator(shape: EventShape(targetDataBytes: bytes, seed: 7), verifyRunID: run)
        return (0..<count).map { _ in generator.next(timeUnixNanos: Self.fixedTime) }
    }

    @Test func singleEventIsOneJSONObjectOfTheTargetSize() throws {
        for target in [368, 500, 1024] {
            let payload = PayloadEncoder.encode(events(1, bytes: target), kind: .singleJSON, dataset: "ds")
            #expect(payload.body.count == target)
            let parsed = try TestJSON.parse(payload.body)
            #expect(parsed["service.name"]?.stringValue != nil)
            #expect(parsed["host"]?["region"]?.stringValue != nil)
            #expect(parsed["trace.trace_id"]?.stringValue?.count == 32)
            #expect(parsed["http.status_code"]?.numberValue != nil)
        }
    }

    @Test func sameSeedGivesSameEvents() {
        let first = PayloadEncoder.encode(events(10), kind: .batchJSON, dataset: "ds").body
        let second = PayloadEncoder.encode(events(10), kind: .batchJSON, dataset: "ds").body
        #expect(first == second)
    }

    @Test func highCardinalityFieldHonoursCardinality() throws {
        var generator = EventGenerator(shape: EventShape(stringCardinality: 5, seed: 3))
        var users = Set<String>()
        for _ in 0..<500 {
            let event = generator.next(timeUnixNanos: 0)
            if case .string(let user)? = event.fields.first(where: { $0.0 == "user.id" })?.1 { users.insert(user) }
        }
        #expect(users.count == 5)
    }

    @Test func batchJSONIsValidWithRequestedCountAndSize() throws {
        let payload = PayloadEncoder.encode(events(100, bytes: 420), kind: .batchJSON, dataset: "ds")
        let parsed = try TestJSON.parse(payload.body)
        let items = try #require(parsed.arrayValue)
        #expect(items.count == 100)
        #expect(payload.eventCount == 100)
        for item in items {
            #expect(item["time"]?.stringValue == "2024-05-01T12:34:56.789Z")
            #expect(item["samplerate"]?.numberValue == 1)
            #expect(item["data"]?["name"]?.stringValue != nil)
        }
        // Each element is the 420-byte data object plus the time/samplerate wrapper.
        #expect(payload.body.count > 100 * 420 && payload.body.count < 100 * 500)
    }

    @Test func batchMsgPackDecodes() throws {
        let source = events(20)
        let payload = PayloadEncoder.encode(source, kind: .batchMsgPack, dataset: "ds")
        guard case .array(let items) = try TestMsgPack.decode(payload.body) else {
            Issue.record("not an array")
            return
        }
        #expect(items.count == 20)
        for (item, event) in zip(items, source) {
            #expect(item["samplerate"] == .int(1))
            guard case .ext(let type, let data)? = item["time"] else {
                Issue.record("time is not an extension")
                continue
            }
            #expect(type == -1)
            #expect(data.count == 8)
            let word = data.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            #expect(Int64(word & 0x3_FFFF_FFFF) == Self.fixedTime / 1_000_000_000)
            #expect(Int64(word >> 34) == Self.fixedTime % 1_000_000_000)
            guard case .map(let data)? = item["data"] else {
                Issue.record("data is not a map")
                continue
            }
            #expect(data.count == event.fields.count)
            #expect(item["data"]?["error"] != nil)
            if case .double = item["data"]?["duration_ms"] {} else { Issue.record("duration_ms is not a float64") }
            #expect(item["data"]?["host"]?["region"] != nil)
        }
    }

    @Test func otlpTracesDecodeFieldByField() throws {
        let source = events(512)
        let payload = PayloadEncoder.encode(source, kind: .otlpTraces, dataset: "svc")
        #expect(payload.eventCount == 512)
        let request = try TestProtobuf(payload.body)
        let resourceSpans = try #require(try request.message(1))
        let resource = try #require(try resourceSpans.message(1))
        let attribute = try #require(try resource.message(1))
        #expect(attribute.string(1) == "service.name")
        #expect(try attribute.message(2)?.string(1) == "svc")
        let scopeSpans = try #require(try resourceSpans.message(2))
        #expect(try scopeSpans.message(1)?.string(1) == "kelpie-load")
        let spans = try scopeSpans.messages(2)
        #expect(spans.count == 512)
        for (span, event) in zip(spans, source) {
            #expect(span.bytes(1)?.count == 16)
            #expect(span.bytes(2)?.count == 8)
            #expect(span.bytes(4)?.count == 8)
            let traceHex = span.bytes(1)!.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
            if case .string(let expected)? = event.fields.first(where: { $0.0 == "trace.trace_id" })?.1 {
                #expect(traceHex == expected)
            }
            #expect(span.string(5) != nil)
            #expect(span.all(6) == [.varint(2)])
            guard case .fixed64(let start)? = span.all(7).first, case .fixed64(let end)? = span.all(8).first else {
                Issue.record("missing timestamps")
                continue
            }
            #expect(end == UInt64(Self.fixedTime))
            #expect(start <= end)
            let attributes = try span.messages(9)
            let keys = attributes.compactMap { $0.string(1) }
            #expect(keys.contains("user.id"))
            #expect(keys.contains("http.status_code"))
            let status = try attributes.first { $0.string(1) == "http.status_code" }?.message(2)
            if case .varint(let code)? = status?.all(3).first { #expect([200, 404, 500].contains(code)) } else {
                Issue.record("http.status_code is not an int_value")
            }
            let host = try attributes.first { $0.string(1) == "host" }?.message(2)?.message(6)
            #expect(try host?.messages(1).count == 3)
        }
    }

    @Test func verifyIDsArePatchedIntoEveryFormat() throws {
        for kind in [PayloadKind.batchJSON, .batchMsgPack, .otlpTraces, .singleJSON] {
            var payload = PayloadEncoder.encode(events(kind == .singleJSON ? 1 : 5, run: "r1"), kind: kind, dataset: "ds")
            #expect(payload.idDigitOffsets.count == payload.eventCount)
            payload.patchSequences(startingAt: 41)
            var ids: [String] = []
            SpoolVerifier.forEachID(in: [UInt8](payload.body)[...]) { ids.append($0) }
            if kind == .batchJSON || kind == .singleJSON {
                #expect(ids == (0..<payload.eventCount).map { AckLedger.id(runID: "r1", sequence: 41 + UInt64($0)) })
            }
            // Binary formats: the patched ids appear verbatim as strings in the body.
            let text = String(decoding: payload.body, as: UTF8.self)
            for index in 0..<payload.eventCount {
                #expect(text.contains(AckLedger.id(runID: "r1", sequence: 41 + UInt64(index))))
            }
        }
    }

    @Test func gzipRoundTrips() throws {
        let body = PayloadEncoder.encode(events(100), kind: .batchJSON, dataset: "ds").body
        let compressed = try Compression.gzip.compress(body)
        #expect(compressed.count < body.count / 2)
        #expect(compressed.prefix(2) == [0x1F, 0x8B])
        #expect(try gunzip(compressed) == body)
    }

    @Test func zstdRoundTrips() throws {
        let body = PayloadEncoder.encode(events(100), kind: .batchMsgPack, dataset: "ds").body
        let compressed = try Compression.zstd.compress(body)
        #expect(compressed.count < body.count / 2)
        var output = [UInt8](repeating: 0, count: body.count + 16)
        let size = output.withUnsafeMutableBytes { out in
            compressed.withUnsafeBytes { input in
                ZSTD_decompress(out.baseAddress, out.count, input.baseAddress, input.count)
            }
        }
        #expect(ZSTD_isError(size) == 0)
        #expect(Array(output[0..<size]) == body)
    }

    @Test func rfc3339Formatting() {
        #expect(RFC3339.format(unixNanos: 0) == "1970-01-01T00:00:00.000Z")
        #expect(RFC3339.format(unixNanos: Self.fixedTime) == "2024-05-01T12:34:56.789Z")
        #expect(RFC3339.format(unixNanos: 951_782_400_000_000_000) == "2000-02-29T00:00:00.000Z")
    }

    func gunzip(_ input: [UInt8]) throws -> [UInt8] {
        var stream = z_stream()
        var rc = inflateInit2_(&stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        #expect(rc == Z_OK)
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        var source = input
        source.withUnsafeMutableBufferPointer { sourceBuffer in
            stream.next_in = sourceBuffer.baseAddress
            stream.avail_in = uInt(sourceBuffer.count)
            repeat {
                chunk.withUnsafeMutableBufferPointer { chunkBuffer in
                    stream.next_out = chunkBuffer.baseAddress
                    stream.avail_out = uInt(chunkBuffer.count)
                    rc = inflate(&stream, Z_NO_FLUSH)
                    output.append(contentsOf: chunkBuffer[0..<(chunkBuffer.count - Int(stream.avail_out))])
                }
            } while rc == Z_OK
        }
        #expect(rc == Z_STREAM_END)
        return output
    }
}
