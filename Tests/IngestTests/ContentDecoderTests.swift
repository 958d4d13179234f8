import Ingest
import TestSupport
import Testing

@Suite struct ContentDecoderTests {
    static let limit = 20 * 1024 * 1024

    static func sampleBody(events: Int = 200) -> [UInt8] {
        var text = "["
        for index in 0..<events {
            if index > 0 { text += "," }
            text += #"{"data":{"service.name":"svc","i":\#(index),"msg":"hello wörld \#(index * 7919)"},"time":"2024-05-17T12:34:56Z"}"#
        }
        return Array((text + "]").utf8)
    }

    func decode(_ body: [UInt8], _ encoding: ContentEncoding, limit: Int = limit) throws(ContentDecodingError) -> [UInt8] {
        try ContentDecoder.decode(body, encoding: encoding, maxDecodedBytes: limit)
    }

    // MARK: header values

    @Test(arguments: [
        (nil, ContentEncoding?.some(.identity)), ("", .identity), ("identity", .identity), ("gzip", .gzip),
        ("GZIP", .gzip), (" gzip ", .gzip), ("x-gzip", .gzip), ("zstd", .zstd), ("ZStd\t", .zstd),
        ("deflate", nil), ("br", nil), ("gzip, zstd", nil), ("gz", nil),
    ])
    func headerValues(header: String?, expected: ContentEncoding?) {
        #expect(ContentEncoding(headerValue: header) == expected)
    }

    // MARK: round trips

    @Test func identityPadsWithoutChangingBytes() throws {
        let body = Self.sampleBody()
        let decoded = try decode(body, .identity)
        #expect(decoded == body)
        #expect(decoded.capacity >= decoded.count + 64)
        #expect(throws: ContentDecodingError.tooLarge(limitBytes: 10)) { try decode(body, .identity, limit: 10) }
    }

    @Test func emptyBodyDecodesToEmptyForEveryEncoding() throws {
        for encoding in [ContentEncoding.identity, .gzip, .zstd] {
            #expect(try decode([], encoding).isEmpty)
        }
    }

    @Test(arguments: [0, 1, 100, 70_000, 1_000_000])
    func gzipRoundTrip(size: Int) throws {
        var generator = SplitMix64(seed: UInt64(size))
        let body = (0..<size).map { _ in UInt8(ascii: "a") + UInt8(generator.next() % 8) }
        let decoded = try decode(try TestCompression.gzip(body), .gzip)
        #expect(decoded == body)
        #expect(decoded.capacity >= decoded.count + 64)
    }

    @Test func gzipFromTheCommandLineTool() throws {
        let body = Self.sampleBody()
        let compressed = try CommandLineTool.pipe(body, through: ["gzip", "-c", "-9"])
        #expect(try decode(compressed, .gzip) == body)
    }

    @Test func gzipMultipleMembersConcatenate() throws {
        let parts = [Array("[{\"data\":{\"a\":1}},".utf8), Array("{\"data\":{\"b\":2}}".utf8), Array("]".utf8)]
        var compressed: [UInt8] = []
        for part in parts { compressed += try TestCompression.gzip(part) }
        #expect(try decode(compressed, .gzip) == parts.flatMap { $0 })
    }

    @Test func gzipTruncatedOrCorruptIsMalformed() throws {
        let compressed = try TestCompression.gzip(Self.sampleBody())
        for cut in [1, 5, 10, compressed.count / 2, compressed.count - 8, compressed.count - 1] {
            #expect(throws: ContentDecodingError.self) { try decode(Array(compressed[0..<cut]), .gzip) }
            #expect(Self.isMalformed { try decode(Array(compressed[0..<cut]), .gzip) }, "cut at \(cut)")
        }
        var flipped = compressed
        flipped[flipped.count - 6] ^= 0xFF  // CRC32 in the trailer
        #expect(Self.isMalformed { try decode(flipped, .gzip) })
        #expect(Self.isMalformed { try decode(Array("this is not gzip at all".utf8), .gzip) })
        #expect(Self.isMalformed { try decode(compressed + [0, 0, 0, 0], .gzip) })
        #expect(Self.isMalformed { try decode(compressed + Array("garbage".utf8), .gzip) })
        // A zlib-wrapped (not gzip) stream is refused.
        #expect(Self.isMalformed { try decode([0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01], .gzip) })
    }

    @Test(arguments: [0, 1, 100, 70_000, 1_000_000])
    func zstdRoundTrips(size: Int) throws {
        var generator = SplitMix64(seed: UInt64(size) &+ 99)
        let body = (0..<size).map { _ in UInt8(ascii: "a") + UInt8(generator.next() % 8) }
        let oneShot = try decode(try TestCompression.zstdOneShot(body), .zstd)
        #expect(oneShot == body)
        #expect(oneShot.capacity >= oneShot.count + 64)
        let streamed = try decode(try TestCompression.zstdStreaming(body), .zstd)
        #expect(streamed == body)
        #expect(streamed.capacity >= streamed.count + 64)
    }

    @Test func zstdFromTheCommandLineToolWithoutContentSize() throws {
        let body = Self.sampleBody()
        let compressed = try CommandLineTool.pipe(body, through: ["zstd", "-q", "-c"])
        #expect(try decode(compressed, .zstd) == body)
    }

    @Test func zstdMultipleFramesAndSkippableFrames() throws {
        let first = Array("[{\"data\":{\"a\":1}},".utf8)
        let second = Array("{\"data\":{\"b\":2}}]".utf8)
        // Skippable frame: magic 0x184D2A50 (little endian), 4-byte length, payload.
        let skippable: [UInt8] = [0x50, 0x2A, 0x4D, 0x18, 3, 0, 0, 0, 9, 9, 9]
        let declared = try TestCompression.zstdOneShot(first) + skippable + TestCompression.zstdOneShot(second)
        #expect(try decode(declared, .zstd) == first + second)
        let mixed = try TestCompression.zstdOneShot(first) + TestCompression.zstdStreaming(second)
        #expect(try decode(mixed, .zstd) == first + second)
    }

    @Test func zstdTruncatedOrCorruptIsMalformed() throws {
        let body = Self.sampleBody()
        for compressed in [try TestCompression.zstdOneShot(body), try TestCompression.zstdStreaming(body)] {
            for cut in [1, 4, 6, compressed.count / 2, compressed.count - 1] {
                #expect(Self.isMalformed { try decode(Array(compressed[0..<cut]), .zstd) }, "cut at \(cut)")
            }
            #expect(Self.isMalformed { try decode(compressed + Array("garbage".utf8), .zstd) })
        }
        // With a content checksum, a corrupted byte anywhere in the data is detected.
        for pledged in [nil, UInt64(body.count)] {
            let compressed = try TestCompression.zstdStreaming(body, pledgedSize: pledged, checksum: true)
            for position in stride(from: 6, to: compressed.count, by: max(compressed.count / 16, 1)) {
                var flipped = compressed
                flipped[position] ^= 0x55
                #expect(throws: ContentDecodingError.self) { try decode(flipped, .zstd) }
            }
        }
        #expect(Self.isMalformed { try decode(Array("definitely not zstd".utf8), .zstd) })
    }

    @Test func zstdDeclaredSizeOverTheLimitIsRefusedWithoutDecoding() throws {
        let compressed = try TestCompression.zstdStreaming([UInt8](repeating: 0, count: 1 << 20), pledgedSize: 1 << 20)
        #expect(throws: ContentDecodingError.tooLarge(limitBytes: 1000)) { try decode(compressed, .zstd, limit: 1000) }
    }

    @Test func limitIsExactForBothEncodings() throws {
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: 5000)
        for compressed in [try TestCompression.gzip(body), try TestCompression.zstdStreaming(body)] {
            let encoding: ContentEncoding = compressed[0] == 0x1F ? .gzip : .zstd
            #expect(try decode(compressed, encoding, limit: 5000) == body)
            #expect(throws: ContentDecodingError.tooLarge(limitBytes: 4999)) { try decode(compressed, encoding, limit: 4999) }
        }
    }

    static func isMalformed(_ body: () throws -> [UInt8]) -> Bool {
        do {
            _ = try body()
            return false
        } catch {
            if case .malformed? = error as? ContentDecodingError { return true }
            return false
        }
    }
}

/// Decompression bombs: 1 GiB of zeros must stop at the limit, quickly and without the memory.
/// Serialized so the two bombs do not overlap in the peak-memory measurement.
@Suite(.serialized) struct DecompressionBombTests {
    static let limit = 20 * 1024 * 1024
    static let bombBytes = 1 << 30
    static let chunk = [UInt8](repeating: 0, count: 1 << 20)
    /// Allowed peak-RSS growth while decoding a bomb (the output alone may take the 20 MiB limit).
    static let maxPeakGrowthBytes = 64 * 1024 * 1024

    func expectBounded(_ compressed: [UInt8], _ encoding: ContentEncoding) throws {
        #expect(TestCompression.resetPeakResidentBytes(), "cannot reset VmHWM")
        let before = try #require(TestCompression.residentBytes())
        #expect(throws: ContentDecodingError.tooLarge(limitBytes: Self.limit)) {
            try ContentDecoder.decode(compressed, encoding: encoding, maxDecodedBytes: Self.limit)
        }
        let peak = try #require(TestCompression.peakResidentBytes())
        #expect(peak - before < Self.maxPeakGrowthBytes, "peak RSS grew by \(peak - before) bytes")
    }

    @Test func gzipBomb() throws {
        let compressed = try TestCompression.gzip(Self.chunk, repeats: Self.bombBytes / Self.chunk.count, level: 9, runLength: true)
        #expect(compressed.count < 4 << 20)
        try expectBounded(compressed, .gzip)
    }

    @Test func zstdBomb() throws {
        let compressed = try TestCompression.zstdStreaming(Self.chunk, repeats: Self.bombBytes / Self.chunk.count)
        #expect(compressed.count < 1 << 20)
        try expectBounded(compressed, .zstd)
    }

    @Test func zstdBombDeclaringItsSize() throws {
        let compressed = try TestCompression.zstdStreaming(
            Self.chunk, repeats: Self.bombBytes / Self.chunk.count, pledgedSize: UInt64(Self.bombBytes))
        try expectBounded(compressed, .zstd)
    }
}
