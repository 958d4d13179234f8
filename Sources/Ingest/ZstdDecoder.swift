import Locking
internal import CZstd

/// zstd (RFC 8878) decoding: one or more frames, size-capped, window-capped.
enum ZstdDecoder {
    /// The decoder never accepts a window larger than 2^maxWindowLog bytes, whatever the size limit.
    static let maxWindowLog: Int32 = 27
    /// zstd's smallest window (ZSTD_WINDOWLOG_ABSOLUTEMIN).
    static let minWindowLog: Int32 = 10

    static func decode(_ body: [UInt8], maxDecodedBytes: Int) throws(ContentDecodingError) -> [UInt8] {
        guard let context = ZstdContextPool.shared.take() else { throw .malformed("zstd: out of memory") }
        defer { ZstdContextPool.shared.give(back: context) }
        ZSTD_DCtx_setParameter(context.pointer, ZSTD_d_windowLogMax, windowLog(forMaxBytes: maxDecodedBytes))
        return try body.withUnsafeBufferPointer { (input) throws(ContentDecodingError) -> [UInt8] in
            let source = UnsafeRawBufferPointer(input)
            switch try declaredContentSize(source) {
            case .some(let total):
                guard total <= UInt64(maxDecodedBytes) else { throw .tooLarge(limitBytes: maxDecodedBytes) }
                return try decodeOneShot(
                    context.pointer, source, decodedBytes: Int(total), maxDecodedBytes: maxDecodedBytes)
            case .none:
                return try decodeStreaming(context.pointer, source, maxDecodedBytes: maxDecodedBytes)
            }
        }
    }

    /// Smallest window log covering the size limit: a frame never needs a window larger than its content.
    static func windowLog(forMaxBytes maxBytes: Int) -> Int32 {
        var log = minWindowLog
        while log < maxWindowLog && (1 << Int(log)) < maxBytes { log += 1 }
        return log
    }

    /// Sum of the content sizes every frame declares; nil when some frame does not declare one.
    private static func declaredContentSize(_ source: UnsafeRawBufferPointer) throws(ContentDecodingError) -> UInt64? {
        var offset = 0
        var total: UInt64 = 0
        while offset < source.count {
            let frame = source.baseAddress! + offset
            let remaining = source.count - offset
            let frameBytes = ZSTD_findFrameCompressedSize(frame, remaining)
            if ZSTD_isError(frameBytes) != 0 { throw .malformed("zstd: " + errorName(frameBytes)) }
            let content = ZSTD_getFrameContentSize(frame, frameBytes)
            if content == ZSTD_CONTENTSIZE_UNKNOWN { return nil }
            if content == ZSTD_CONTENTSIZE_ERROR { throw .malformed("zstd: invalid frame header") }
            let (sum, overflow) = total.addingReportingOverflow(content)
            total = overflow ? UInt64.max : sum
            offset += frameBytes
        }
        return total
    }

    /// Every frame declared its size: decode straight into an array of exactly that size (no window
    /// buffer, no growth). A frame whose data disagrees with its declared size is malformed.
    private static func decodeOneShot(
        _ context: OpaquePointer, _ source: UnsafeRawBufferPointer, decodedBytes: Int, maxDecodedBytes: Int
    ) throws(ContentDecodingError) -> [UInt8] {
        var failure: ContentDecodingError?
        let output = [UInt8](unsafeUninitializedCapacity: decodedBytes + JSONPadding.bytes) { buffer, count in
            let result = ZSTD_decompressDCtx(context, buffer.baseAddress, decodedBytes, source.baseAddress, source.count)
            if ZSTD_isError(result) != 0 {
                failure = mapError(result, maxDecodedBytes: maxDecodedBytes)
            } else if result != decodedBytes {
                failure = .malformed("zstd: decoded size differs from the frame header")
            } else {
                count = result
            }
        }
        if let failure { throw failure }
        return output
    }

    private static func decodeStreaming(
        _ context: OpaquePointer, _ source: UnsafeRawBufferPointer, maxDecodedBytes: Int
    ) throws(ContentDecodingError) -> [UInt8] {
        var output = BoundedOutputBuffer(expectedBytes: source.count * 4, maxBytes: maxDecodedBytes)
        var input = ZSTD_inBuffer(src: source.baseAddress, size: source.count, pos: 0)
        while true {
            var remainingHint = 0
            var filledRoom = false
            _ = try output.write { (destination, room) throws(ContentDecodingError) -> Int in
                var out = ZSTD_outBuffer(dst: destination, size: room, pos: 0)
                let result = ZSTD_decompressStream(context, &out, &input)
                if ZSTD_isError(result) != 0 { throw mapError(result, maxDecodedBytes: maxDecodedBytes) }
                remainingHint = result
                filledRoom = out.pos == room
                return out.pos
            }
            if output.isOverLimit { throw .tooLarge(limitBytes: maxDecodedBytes) }
            if input.pos == input.size && !filledRoom {
                // 0 means the last frame is complete and flushed; anything else means it was cut short.
                if remainingHint == 0 { return output.finish() }
                throw .malformed("zstd: truncated frame")
            }
        }
    }

    /// A window above the cap is a size problem (413), not a malformed body.
    private static func mapError(_ result: Int, maxDecodedBytes: Int) -> ContentDecodingError {
        if ZSTD_getErrorCode(result) == ZSTD_error_frameParameter_windowTooLarge {
            return .tooLarge(limitBytes: maxDecodedBytes)
        }
        return .malformed("zstd: " + errorName(result))
    }

    private static func errorName(_ result: Int) -> String {
        String(cString: ZSTD_getErrorName(result))
    }
}

/// Reuses zstd decompression contexts across requests; a context that grew a large window is freed
/// instead of kept.
final class ZstdContextPool: Sendable {
    static let shared = ZstdContextPool()
    static let maxPooledContexts = 8
    static let maxRetainedContextBytes = 2 * 1024 * 1024

    struct Context: @unchecked Sendable {  // unchecked: a ZSTD_DCtx pointer used by one thread at a time, handed over through the pool's lock
        let pointer: OpaquePointer
    }

    private let idle = Lock<[Context]>([])

    /// A context with a fresh session (parameters are set by the caller); nil only when out of memory.
    func take() -> Context? {
        if let context = idle.withLock({ $0.popLast() }) {
            ZSTD_DCtx_reset(context.pointer, ZSTD_reset_session_only)
            return context
        }
        return ZSTD_createDCtx().map(Context.init(pointer:))
    }

    func give(back context: Context) {
        guard ZSTD_sizeof_DCtx(context.pointer) <= Self.maxRetainedContextBytes else {
            ZSTD_freeDCtx(context.pointer)
            return
        }
        let kept = idle.withLock { contexts -> Bool in
            guard contexts.count < Self.maxPooledContexts else { return false }
            contexts.append(context)
            return true
        }
        if !kept { ZSTD_freeDCtx(context.pointer) }
    }
}
