import Locking
internal import CZlib

/// gzip (RFC 1952) decoding through zlib's streaming `inflate`, multi-member, size-capped.
enum GzipDecoder {
    /// Gzip members are at least 18 bytes (10-byte header, empty deflate block, 8-byte trailer).
    static let minimumMemberBytes = 18

    static func decode(_ body: [UInt8], maxDecodedBytes: Int) throws(ContentDecodingError) -> [UInt8] {
        guard body.count <= Int(UInt32.max) else { throw .tooLarge(limitBytes: maxDecodedBytes) }
        var output = BoundedOutputBuffer(expectedBytes: sizeHint(body), maxBytes: maxDecodedBytes)
        guard let stream = InflaterPool.shared.take() else { throw .malformed("gzip: out of memory") }
        defer { InflaterPool.shared.give(back: stream) }
        let pointer = stream.pointer
        try body.withUnsafeBufferPointer { (input) throws(ContentDecodingError) in
            pointer.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress!)
            pointer.pointee.avail_in = uInt(input.count)
            while true {
                var code = Z_OK
                _ = output.write { (destination, room) -> Int in
                    pointer.pointee.next_out = destination
                    pointer.pointee.avail_out = uInt(min(room, Int(UInt32.max)))
                    let before = pointer.pointee.avail_out
                    code = inflate(pointer, Z_NO_FLUSH)
                    return Int(before - pointer.pointee.avail_out)
                }
                if output.isOverLimit { throw .tooLarge(limitBytes: maxDecodedBytes) }
                switch code {
                case Z_STREAM_END:
                    if pointer.pointee.avail_in == 0 { return }
                    // Another member follows (or trailing garbage, which the next header check rejects).
                    guard inflateReset(pointer) == Z_OK else { throw .malformed("gzip: inflateReset failed") }
                case Z_OK:
                    // Progress was made; no input left while the member is unfinished means truncation.
                    if pointer.pointee.avail_in == 0 && pointer.pointee.avail_out > 0 {
                        throw .malformed("gzip: truncated stream")
                    }
                case Z_BUF_ERROR:
                    throw .malformed("gzip: truncated stream")
                default:
                    throw .malformed("gzip: " + message(pointer, code: code))
                }
            }
        }
        return output.finish()
    }

    /// The last member's trailer holds its decoded size mod 2^32 (ISIZE). Untrusted: only a starting capacity.
    private static func sizeHint(_ body: [UInt8]) -> Int {
        guard body.count >= minimumMemberBytes else { return 0 }
        let n = body.count
        let isize = Int(body[n - 4]) | Int(body[n - 3]) << 8 | Int(body[n - 2]) << 16 | Int(body[n - 1]) << 24
        return isize > 0 ? isize : body.count * 4
    }

    private static func message(_ stream: UnsafeMutablePointer<z_stream>, code: Int32) -> String {
        if let text = stream.pointee.msg { return String(cString: text) }
        return "zlib error \(code)"
    }
}

/// Reuses initialised zlib inflate states (≈ 7 KB state plus a 32 KB window each) across requests.
final class InflaterPool: Sendable {
    static let shared = InflaterPool()
    static let maxPooledStreams = 16

    /// A heap-allocated, initialised z_stream: zlib's state points back at it, so it must never move.
    struct Stream: @unchecked Sendable {  // unchecked: a z_stream pointer used by one thread at a time, handed over through the pool's lock
        let pointer: UnsafeMutablePointer<z_stream>
    }

    private let idle = Lock<[Stream]>([])

    /// An inflate state ready for a new gzip stream; nil only when zlib cannot allocate one.
    func take() -> Stream? {
        if let stream = idle.withLock({ $0.popLast() }) {
            inflateReset(stream.pointer)
            return stream
        }
        let pointer = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        pointer.initialize(to: z_stream())
        // 16 + MAX_WBITS: gzip wrapper only. inflateInit2 is a macro that does not import.
        guard inflateInit2_(pointer, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            pointer.deinitialize(count: 1)
            pointer.deallocate()
            return nil
        }
        return Stream(pointer: pointer)
    }

    func give(back stream: Stream) {
        let kept = idle.withLock { streams -> Bool in
            guard streams.count < Self.maxPooledStreams else { return false }
            streams.append(stream)
            return true
        }
        if !kept {
            inflateEnd(stream.pointer)
            stream.pointer.deinitialize(count: 1)
            stream.pointer.deallocate()
        }
    }
}
