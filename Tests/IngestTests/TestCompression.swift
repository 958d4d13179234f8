import CZlib
import CZstd
import Foundation

/// Compression for building test inputs, straight from zlib and libzstd (the code under test only decompresses).
enum TestCompression {
    struct Failure: Error { let what: String }

    /// One gzip member of `input` repeated `repeats` times, streamed (the input is never materialised),
    /// using zlib's run-length strategy when `runLength` (fast on zeros: a 1 GB bomb takes about a second).
    static func gzip(_ input: [UInt8], repeats: Int = 1, level: Int32 = 6, runLength: Bool = false) throws -> [UInt8] {
        var stream = z_stream()
        let strategy = runLength ? Z_RLE : Z_DEFAULT_STRATEGY
        guard deflateInit2_(&stream, level, Z_DEFLATED, 16 + MAX_WBITS, 8, strategy, ZLIB_VERSION,
                            Int32(MemoryLayout<z_stream>.size)) == Z_OK else { throw Failure(what: "deflateInit2_") }
        defer { deflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 256 * 1024)
        var source = input
        for round in 0..<max(repeats, 1) {
            let flush = round == max(repeats, 1) - 1 ? Z_FINISH : Z_NO_FLUSH
            try source.withUnsafeMutableBufferPointer { input in
                stream.next_in = input.baseAddress
                stream.avail_in = uInt(input.count)
                repeat {
                    let code = chunk.withUnsafeMutableBufferPointer { out -> Int32 in
                        stream.next_out = out.baseAddress
                        stream.avail_out = uInt(out.count)
                        return deflate(&stream, flush)
                    }
                    guard code == Z_OK || code == Z_STREAM_END || code == Z_BUF_ERROR else { throw Failure(what: "deflate \(code)") }
                    output.append(contentsOf: chunk[0..<(chunk.count - Int(stream.avail_out))])
                } while stream.avail_out == 0 || (flush == Z_FINISH && stream.avail_in > 0)
            }
        }
        return output
    }

    /// One zstd frame that declares its content size (what libhoney-go sends).
    static func zstdOneShot(_ input: [UInt8], level: Int32 = 3) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: ZSTD_compressBound(input.count))
        let size = input.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { out in
                ZSTD_compress(out.baseAddress, out.count, source.baseAddress, source.count, level)
            }
        }
        guard ZSTD_isError(size) == 0 else { throw Failure(what: "ZSTD_compress") }
        return Array(output[0..<size])
    }

    /// A streamed zstd frame without a content size (`zstd -c` from a pipe), of `input` repeated
    /// `repeats` times. `pledgedSize` writes a content size into the header instead; `checksum` adds
    /// the content checksum (libhoney-go's frames carry one).
    static func zstdStreaming(
        _ input: [UInt8], repeats: Int = 1, level: Int32 = 1, pledgedSize: UInt64? = nil, checksum: Bool = false
    ) throws -> [UInt8] {
        guard let context = ZSTD_createCCtx() else { throw Failure(what: "ZSTD_createCCtx") }
        defer { ZSTD_freeCCtx(context) }
        ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level)
        ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, checksum ? 1 : 0)
        if let pledgedSize { ZSTD_CCtx_setPledgedSrcSize(context, pledgedSize) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: ZSTD_CStreamOutSize())
        for round in 0..<max(repeats, 1) {
            let last = round == max(repeats, 1) - 1
            try input.withUnsafeBytes { source in
                var inBuffer = ZSTD_inBuffer(src: source.baseAddress, size: source.count, pos: 0)
                var finished = false
                while !finished {
                    let remaining = try chunk.withUnsafeMutableBytes { out -> Int in
                        var outBuffer = ZSTD_outBuffer(dst: out.baseAddress, size: out.count, pos: 0)
                        let result = ZSTD_compressStream2(context, &outBuffer, &inBuffer, last ? ZSTD_e_end : ZSTD_e_continue)
                        guard ZSTD_isError(result) == 0 else { throw Failure(what: "ZSTD_compressStream2") }
                        output.append(contentsOf: out[0..<outBuffer.pos])
                        return result
                    }
                    finished = last ? remaining == 0 : inBuffer.pos == inBuffer.size
                }
            }
        }
        return output
    }

    /// Peak resident memory since the last ``resetPeakResidentBytes()`` (VmHWM), in bytes.
    static func peakResidentBytes() -> Int? {
        statusField("VmHWM:")
    }

    static func residentBytes() -> Int? {
        statusField("VmRSS:")
    }

    /// Resets VmHWM to the current RSS (Linux: `echo 5 > /proc/self/clear_refs`).
    static func resetPeakResidentBytes() -> Bool {
        (try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)) != nil
    }

    private static func statusField(_ name: String) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix(name) {
            let kilobytes = line.split(separator: " ").compactMap { Int($0) }.first
            return kilobytes.map { $0 * 1024 }
        }
        return nil
    }
}
