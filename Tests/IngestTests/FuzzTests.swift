import EventModel
import Ingest
import TestSupport
import Testing

/// Seeded mutation fuzzing of real fixture bodies. Never traps; and for JSON, the decoder must agree with
/// the independent TestJSON oracle on whether the body is malformed and on every element's status and data.
@Suite struct FuzzTests {
    static let jsonFixtures = [
        "libhoney-py-batch-nogzip", "libhoney-go-batch-json-nocompress", "libhoney-go-batch-dataset-escaped",
        "honeycomb-events-single-synthetic",
    ]
    static let iterationsPerFixture = 1_500
    /// Bytes that make mutations hit JSON structure rather than only string contents.
    static let alphabet = Array("{}[]\":,\\ \t\n0123456789-+.eEtrufalsn\u{7f}xu".utf8) + [0x00, 0x1F, 0xC3, 0xA9, 0xED, 0xFF]

    enum Expected: Equatable {
        case malformed
        case empty
        case statuses([EventStatus])
    }

    static func mutate(_ input: [UInt8], using generator: inout SplitMix64) -> [UInt8] {
        var bytes = input
        for _ in 0..<(1 + Int(generator.next() % 4)) {
            let position = bytes.isEmpty ? 0 : Int(generator.next() % UInt64(bytes.count))
            switch generator.next() % 6 {
            case 0 where !bytes.isEmpty:
                bytes[position] = alphabet[Int(generator.next() % UInt64(alphabet.count))]
            case 1:
                bytes.insert(alphabet[Int(generator.next() % UInt64(alphabet.count))], at: position)
            case 2 where !bytes.isEmpty:
                let length = min(Int(generator.next() % 16) + 1, bytes.count - position)
                bytes.removeSubrange(position..<position + length)
            case 3 where !bytes.isEmpty:
                let length = min(Int(generator.next() % 64) + 1, bytes.count - position)
                bytes.insert(contentsOf: bytes[position..<position + length], at: Int(generator.next() % UInt64(bytes.count)))
            case 4:
                bytes = Array(bytes.prefix(position))
            default:
                if !bytes.isEmpty { bytes[position] = UInt8(truncatingIfNeeded: generator.next()) }
            }
        }
        return bytes
    }

    /// What the decoder must answer, computed from the oracle's parse (nil: nesting too deep to compare).
    static func expectedOutcome(_ body: [UInt8]) -> Expected? {
        if body.allSatisfy({ [0x20, 0x09, 0x0A, 0x0D].contains($0) }) { return .empty }
        guard let root = try? TestJSON.parse(body), case .array(let elements) = root else { return .malformed }
        if root.depth > HoneycombDecoder.maxEventDepth { return nil }
        return .statuses(elements.map(expectedStatus))
    }

    static func expectedStatus(_ element: TestJSON) -> EventStatus {
        func reject(_ message: String) -> EventStatus { .rejected(status: 400, message: message) }
        guard case .object = element else { return reject("event must be a JSON object") }
        guard let data = element["data"] else { return reject("event has no data object") }
        guard case .object(let fields) = data else { return reject("event data must be a JSON object") }
        switch element["samplerate"] {
        case nil, .null?:
            break
        case .number(let token)?:
            if !token.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) {
                guard let value = Int64(token), value >= 0 else { return reject("samplerate must be a non-negative integer") }
            } else {
                guard let value = Double(token), value.isFinite, value >= 0, value <= 9_007_199_254_740_992,
                      value.rounded(.towardZero) == value
                else { return reject("samplerate must be a non-negative integer") }
            }
        default:
            return reject("samplerate must be a non-negative integer")
        }
        if fields.isEmpty { return reject("empty event data") }
        return .accepted
    }

    @Test(arguments: jsonFixtures)
    func mutatedJSONBodiesAgreeWithTheOracle(name: String) throws {
        let original = try WireFixture(name).body
        let decoder = HoneycombDecoder()
        var generator = SplitMix64(seed: UInt64(name.utf8.count) &* 1_000_003)
        var compared = 0
        var accepted = 0
        for iteration in 0..<Self.iterationsPerFixture {
            let body = Self.mutate(original, using: &generator)
            guard let expected = Self.expectedOutcome(body) else { continue }
            compared += 1
            let actual: Expected
            var events: [EventRecord] = []
            var decodedBody: [UInt8] = []
            do {
                let decoded = try decoder.decodeBatch(body: body, dataset: "ds", keyID: "k", receiveTimeNanos: 0)
                actual = .statuses(decoded.statuses)
                events = decoded.batch.events
                decodedBody = decoded.batch.body
            } catch .malformed {
                actual = .malformed
            } catch .emptyBody {
                actual = .empty
            } catch {
                Issue.record("unexpected \(error)")
                continue
            }
            #expect(actual == expected, "iteration \(iteration): \(String(decoding: body, as: UTF8.self))")
            guard actual == expected, case .statuses(let statuses) = expected,
                  case .array(let elements) = try TestJSON.parse(body) else { continue }
            // Accepted records carry exactly the oracle's data object.
            let acceptedElements = zip(elements, statuses).filter { $0.1 == .accepted }.map(\.0)
            #expect(acceptedElements.count == events.count)
            for (element, record) in zip(acceptedElements, events) {
                let data = try? TestJSON.parse(decodedBody[record.dataRange])
                #expect(data == element["data"], "iteration \(iteration)")
                accepted += 1
            }
        }
        #expect(compared > Self.iterationsPerFixture / 2)
        if case .array = try TestJSON.parse(original) { #expect(accepted > 0) }
    }

    /// /1/events oracle: the body must be one non-empty object.
    @Test(arguments: jsonFixtures)
    func mutatedSingleEventBodiesAgreeWithTheOracle(name: String) throws {
        let fixture = try WireFixture(name)
        // Batch fixtures contribute their first data object, so mutations start from a valid single event.
        var original = fixture.body
        if case .array = try TestJSON.parse(original) {
            let decoded = try HoneycombDecoder().decodeBatch(body: original, dataset: "ds", keyID: "k", receiveTimeNanos: 0)
            original = Array(decoded.batch.body[decoded.batch.events[0].dataRange])
        }
        var generator = SplitMix64(seed: UInt64(name.utf8.count) &* 7_919)
        var accepted = 0
        for iteration in 0..<Self.iterationsPerFixture {
            let body = Self.mutate(original, using: &generator)
            let oracle = try? TestJSON.parse(body)
            if let oracle, oracle.depth > HoneycombDecoder.maxEventDepth { continue }
            let result = Result { () throws(IngestError) -> EventBatch in
                try HoneycombDecoder().decodeSingle(
                    body: body, dataset: "ds", keyID: "k", eventTimeHeader: nil, sampleRateHeader: nil, receiveTimeNanos: 0)
            }
            switch result {
            case .success(let batch):
                guard case .object(let fields)? = oracle, !fields.isEmpty else {
                    Issue.record("iteration \(iteration): accepted \(String(decoding: body, as: UTF8.self))")
                    continue
                }
                #expect(try TestJSON.parse(batch.body[batch.events[0].dataRange]) == oracle)
                accepted += 1
            case .failure(.emptyBody):
                let blank = body.allSatisfy { [0x20, 0x09, 0x0A, 0x0D].contains($0) }
                var emptyObject = false
                if case .object(let fields)? = oracle { emptyObject = fields.isEmpty }
                #expect(blank || emptyObject, "iteration \(iteration)")
            case .failure(.malformed):
                var validObject = false
                if case .object? = oracle { validObject = true }
                #expect(!validObject, "iteration \(iteration): \(String(decoding: body, as: UTF8.self))")
            case .failure(let error):
                Issue.record("unexpected \(error)")
            }
        }
        #expect(accepted > 0)
    }

    @Test func mutatedCompressedBodiesNeverTrap() throws {
        let decoder = HoneycombDecoder()
        var generator = SplitMix64(seed: 42)
        var decodedCount = 0
        for (name, encoding) in [("libhoney-py-batch", ContentEncoding.gzip), ("libhoney-go-batch-json-zstd", .zstd)] {
            let original = try WireFixture(name).body
            for _ in 0..<1_000 {
                let body = Self.mutate(original, using: &generator)
                guard let decoded = try? ContentDecoder.decode(body, encoding: encoding, maxDecodedBytes: 1 << 20) else { continue }
                decodedCount += 1
                _ = try? decoder.decodeBatch(body: decoded, dataset: "ds", keyID: "k", receiveTimeNanos: 0)
            }
        }
        // Some mutations (e.g. in the gzip header's mtime) still decode.
        #expect(decodedCount > 0)
    }

    @Test func randomTimeStringsNeverTrapAndRoundTrip() {
        var generator = SplitMix64(seed: 3)
        let alphabet = Array("0123456789-+:.TtZz eE".utf8)
        for _ in 0..<20_000 {
            let length = Int(generator.next() % 40)
            let text = (0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }
            if let nanos = text.withUnsafeBytes({ EventTime.parse($0) }) {
                #expect(nanos >= 0)
            }
        }
    }
}
