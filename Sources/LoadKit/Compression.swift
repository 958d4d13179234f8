import CZlib
import CZstd

/// Request body compression and the matching `Content-Encoding`.
public enum Compression: String, Sendable, CaseIterable {
    case none
    case gzip
    case zstd

    /// gzip level 1 as libhoney-py sends; zstd level 2 as libhoney-go sends.
    public var defaultLevel: Int32 {
        switch self {
        case .none: return 0
        case .gzip: return 1
        case .zstd: return 2
        }
    }

    public var contentEncoding: String? { self == .none ? nil : rawValue }

    public func compress(_ input: [UInt8], level: Int32? = nil) throws(CompressionError) -> [UInt8] {
        switch self {
        case .none: return input
        case .gzip: return try Self.gzip(input, level: level ?? defaultLevel)
        case .zstd: return try Self.zstd(input, level: level ?? defaultLevel)
        }
    }

    static func gzip(_ input: [UInt8], level: Int32) throws(CompressionError) -> [UInt8] {
        var stream = z_stream()
        let gzipWindowBits = 16 + MAX_WBITS
        let defaultMemLevel: Int32 = 8
        var rc = deflateInit2_(
            &stream, level, Z_DEFLATED, gzipWindowBits, defaultMemLevel, Z_DEFAULT_STRATEGY,
            ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else { throw .zlib(code: rc) }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))) + 64)
        var source = input
        let produced: Int = source.withUnsafeMutableBufferPointer { sourceBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                stream.next_in = sourceBuffer.baseAddress
                stream.avail_in = uInt(sourceBuffer.count)
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = uInt(outBuffer.count)
                rc = deflate(&stream, Z_FINISH)
                return outBuffer.count - Int(stream.avail_out)
            }
        }
        guard rc == Z_STREAM_END else { throw .zlib(code: rc) }
        output.removeSubrange(produced...)
        return output
    }

    static func zstd(_ input: [UInt8], level: Int32) throws(CompressionError) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: ZSTD_compressBound(input.count))
        let written = output.withUnsafeMutableBytes { outBuffer in
            input.withUnsafeBytes { inBuffer in
                ZSTD_compress(outBuffer.baseAddress, outBuffer.count, inBuffer.baseAddress, inBuffer.count, level)
            }
        }
        guard ZSTD_isError(written) == 0 else { throw .zstd(name: String(cString: ZSTD_getErrorName(written))) }
        output.removeSubrange(written...)
        return output
    }
}

public enum CompressionError: Error, Equatable {
    case zlib(code: Int32)
    case zstd(name: String)
}
