/// Undoes a request's `Content-Encoding` with a hard cap on the decoded size.
public enum ContentDecoder {
    /// Decodes `body` per `encoding`.
    ///
    /// - gzip: one or more concatenated gzip members (libhoney-py sends one); anything after the last
    ///   member (trailing zero bytes included) is `.malformed`. Only the gzip wrapper is accepted, not
    ///   raw or zlib-wrapped deflate.
    /// - zstd: one or more frames, with or without a declared content size; skippable frames are
    ///   skipped. Frames that declare their sizes are decoded in one shot straight into a buffer of
    ///   exactly that size; others are streamed. The decoder refuses windows above the limit (rounded
    ///   up to a power of two, at most 2^27 bytes), so a hostile frame cannot demand a huge window.
    /// - identity: the body itself; over the limit is `.tooLarge`.
    /// - An empty body decodes to an empty body for every encoding (the JSON decoder then reports it empty).
    ///
    /// Streaming stops as soon as the output would pass `maxDecodedBytes` (`.tooLarge`), so a 1 GB gzip
    /// bomb never allocates more than the limit. The returned array has capacity ≥ count + simdjson
    /// padding, so ``HoneycombDecoder`` uses it in place.
    public static func decode(
        _ body: [UInt8], encoding: ContentEncoding, maxDecodedBytes: Int
    ) throws(ContentDecodingError) -> [UInt8] {
        let limit = max(maxDecodedBytes, 0)
        if body.isEmpty { return JSONPadding.padded(body) }
        switch encoding {
        case .identity:
            guard body.count <= limit else { throw .tooLarge(limitBytes: limit) }
            return JSONPadding.padded(body)
        case .gzip:
            return try GzipDecoder.decode(body, maxDecodedBytes: limit)
        case .zstd:
            return try ZstdDecoder.decode(body, maxDecodedBytes: limit)
        }
    }
}
