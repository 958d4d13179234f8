import Ingest
import TestSupport
import Testing

/// Truncated, overlong, random and mutated msgpack: always a typed answer, never a trap, and whatever is
/// accepted is valid JSON with consistent statuses.
@Suite struct MsgPackRobustnessTests {
    static let receiveTime: Int64 = 1_717_200_000 * 1_000_000_000

    static func fixtureBody() throws -> [UInt8] {
        let fixture = try WireFixture("libhoney-go-batch-msgpack-zstd")
        return try ContentDecoder.decode(fixture.body, encoding: .zstd, maxDecodedBytes: 1 << 20)
    }

    /// A batch touching every branch: all types, all time forms, odd elements, per-event errors.
    static let handBuilt: [UInt8] = MP.array([
        MP.event([
            ("i", MP.i64(-5)), ("u", MP.u64(UInt64.max)), ("f", MP.f32(0.1)), ("d", MP.f64(2.5)),
            ("s", MP.str8("quote\" and ✓ and \u{01}")), ("b", MP.bin16([1, 2, 3, 4])), ("n", MP.nil),
            ("t", MP.timestamp64(1_715_949_296, 5)), ("x", MP.ext(3, [9, 9])),
            ("m", MP.map16([(MP.str("k"), MP.array32([MP.bool(true), MP.msgpTime(1, 2)]))])),
        ], [("time", MP.timestamp96(1_715_949_296, 7)), ("samplerate", MP.u16(4)), ("other", MP.array([MP.nil]))]),
        MP.fixint(3),
        MP.event([("bad", MP.strBytes([0xFF]))]),
        MP.event([("a", MP.fixint(1))], [("time", MP.str("2024-05-17T12:34:56Z")), ("samplerate", MP.f64(2))]),
    ])

    static func decode(_ body: [UInt8]) -> Result<DecodedRequest, IngestError> {
        Result { () throws(IngestError) in
            try HoneycombDecoder().decodeMsgPackBatch(body: body, dataset: "ds", keyID: "k", receiveTimeNanos: receiveTime)
        }
    }

    /// The error, or nil when the body decoded.
    static func decodeError(_ body: [UInt8]) -> IngestError? {
        if case .failure(let error) = decode(body) { return error }
        return nil
    }

    /// What must hold for any successful decode.
    static func checkInvariants(_ decoded: DecodedRequest, _ context: String) {
        let accepted = decoded.statuses.filter { $0 == .accepted }.count
        #expect(accepted == decoded.batch.events.count, "\(context)")
        var previousEnd = 0
        for record in decoded.batch.events {
            #expect(record.dataRange.lowerBound >= previousEnd && record.dataRange.upperBound <= decoded.batch.body.count, "\(context)")
            previousEnd = record.dataRange.upperBound
            let data = decoded.batch.body[record.dataRange]
            guard let parsed = try? TestJSON.parse(data), case .object(let fields) = parsed else {
                Issue.record("accepted data is not a JSON object (\(context)): \(String(decoding: data, as: UTF8.self))")
                continue
            }
            #expect(!fields.isEmpty)
            #expect(parsed.depth <= HoneycombDecoder.maxEventDepth)
            #expect(record.sampleRate >= 1)
        }
    }

    @Test func everyTruncationIsMalformed() throws {
        for body in [try Self.fixtureBody(), Self.handBuilt] {
            guard case .success(let full) = Self.decode(body) else {
                Issue.record("the complete body must decode")
                continue
            }
            Self.checkInvariants(full, "complete")
            #expect(Self.decodeError([]) == .emptyBody)
            for length in 1..<body.count {
                #expect(Self.decodeError(Array(body[0..<length])) == .malformed, "truncated at \(length)")
            }
        }
    }

    @Test func overlongLengthsAreMalformed() throws {
        let fourGiB: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF]
        let claims: [[UInt8]] = [
            [0xDB] + fourGiB + Array("abc".utf8),       // str32 claiming 4 GB
            [0xC6] + fourGiB + [1, 2, 3],               // bin32
            [0xC9] + fourGiB + [0x01, 1, 2],            // ext32
            [0xDD] + fourGiB + [0x01],                  // array32 with 4 G elements
            [0xDF] + fourGiB + [0xA1, 0x61, 0x01],      // map32
            [0xDA, 0xFF, 0xFF, 0x61],                   // str16
            [0xD9, 0x05, 0x61],                         // str8
            [0xD8, 0x01, 0x00],                         // fixext16 cut short
            [0xCB, 0x40],                               // float64 cut short
        ]
        for claim in claims {
            let asValue = MP.array([MP.event([("v", claim)])])
            #expect(Self.decodeError(asValue) == .malformed, "value \(claim.prefix(3))")
            let asUnknownKey = MP.array([MP.map([(MP.str("x"), claim)])])
            #expect(Self.decodeError(asUnknownKey) == .malformed, "unknown \(claim.prefix(3))")
            let asTime = MP.array([MP.map([(MP.str("data"), MP.object([("a", MP.fixint(1))])), (MP.str("time"), claim)])])
            #expect(Self.decodeError(asTime) == .malformed, "time \(claim.prefix(3))")
            let asKey = MP.array([MP.map([(MP.str("data"), MP.map([(claim, MP.fixint(1))]))])])
            #expect(Self.decodeError(asKey) == .malformed, "key \(claim.prefix(3))")
        }
        // A root array claiming more elements than there are bytes.
        #expect(Self.decodeError([0xDD] + fourGiB) == .malformed)
        #expect(Self.decodeError([0xDC, 0x00, 0x02, 0x80]) == .malformed)
        // After a per-event problem, the structural re-skip still catches damage later in the data.
        let badThenTruncated = MP.array([MP.map([(MP.str("data"), [0x82, 0xA1, 0x61, 0xA1, 0xFF, 0xA1, 0x62, 0xDB] + fourGiB)])])
        #expect(Self.decodeError(badThenTruncated) == .malformed)
    }

    @Test func randomGarbageNeverTraps() {
        var generator = SplitMix64(seed: 0xC0FFEE)
        for round in 0..<20_000 {
            let length = Int(generator.next() % 64)
            var body = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            if round % 2 == 0, !body.isEmpty { body[0] = 0x90 | (body[0] & 0x0F) }  // often a plausible root
            if case .success(let decoded) = Self.decode(body) { Self.checkInvariants(decoded, "garbage \(body)") }
        }
    }

    @Test func seededMutationsNeverTrap() throws {
        var generator = SplitMix64(seed: 20_240_517)
        var outcomes: [String: Int] = [:]
        for base in [try Self.fixtureBody(), Self.handBuilt] {
            for _ in 0..<4_000 {
                var body = base
                for _ in 0..<(1 + Int(generator.next() % 4)) {
                    let position = Int(generator.next() % UInt64(body.count))
                    switch generator.next() % 5 {
                    case 0: body[position] = UInt8(truncatingIfNeeded: generator.next())
                    case 1: body[position] ^= UInt8(1) << (generator.next() % 8)
                    case 2: body.insert(UInt8(truncatingIfNeeded: generator.next()), at: position)
                    case 3: body.remove(at: position)
                    default:
                        // Interesting bytes: length markers, 0xc1, invalid UTF-8, extension markers.
                        let interesting: [UInt8] = [0xC1, 0xDB, 0xDD, 0xDF, 0xFF, 0x80, 0xC0, 0xD7, 0xC7, 0x9F, 0x8F, 0xED]
                        body[position] = interesting[Int(generator.next() % UInt64(interesting.count))]
                    }
                    if body.isEmpty { break }
                }
                switch Self.decode(body) {
                case .success(let decoded):
                    Self.checkInvariants(decoded, "mutation")
                    outcomes["success", default: 0] += 1
                case .failure(let error):
                    outcomes["\(error)", default: 0] += 1
                }
            }
        }
        // The loop exercised both outcomes (otherwise the mutations are not testing much).
        #expect((outcomes["success"] ?? 0) > 100)
        #expect((outcomes["malformed"] ?? 0) > 100)
    }
}
