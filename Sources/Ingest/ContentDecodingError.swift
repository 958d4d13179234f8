/// Why a compressed body could not be decoded.
public enum ContentDecodingError: Error, Equatable, Sendable {
    /// The decoded body would be larger than `limitBytes` (decoding stopped there), or a zstd frame
    /// declares a content size or window above the limit.
    case tooLarge(limitBytes: Int)
    /// Not a valid gzip/zstd stream: bad header or data, checksum mismatch, truncated, or trailing bytes
    /// that are not another complete member/frame. The text is the library's reason, for logs only.
    case malformed(String)
}
