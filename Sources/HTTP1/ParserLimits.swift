/// Abuse bounds enforced by `RequestParser`. Every limit is a byte or item count; what exactly is
/// counted is spelled out per field, because the tests probe each one at N-1, N and N+1.
public struct ParserLimits: Sendable, Equatable {
    /// Longest accepted request line, counting every byte from the method's first byte up to but
    /// excluding the line terminator (CRLF or bare LF). A longer line fails with `.uriTooLong` (414),
    /// while still incomplete too: as soon as N+2 bytes are buffered without a line feed.
    public var maxRequestLineBytes: Int
    /// Largest accepted head: the request line, every header line and the empty line that ends the
    /// head, each including its line terminator. Empty lines skipped before the request line are not
    /// counted. A larger head fails with `.headerFieldsTooLarge` (431), while still incomplete too:
    /// as soon as N head bytes are buffered without the head having ended within them.
    public var maxHeaderBytes: Int
    /// Most header field lines accepted in one head; one more fails with `.headerFieldsTooLarge` (431).
    public var maxHeaderCount: Int
    /// Largest accepted body: a Content-Length above it, or chunk sizes whose sum exceeds it, fail with
    /// `.payloadTooLarge` (413). A body of exactly this many bytes is accepted.
    public var maxBodyBytes: Int
    /// Longest accepted chunk-size line (size digits plus extensions), excluding its CRLF.
    /// A longer line fails with `.badRequest` (400).
    public var maxChunkLineBytes: Int
    /// Most trailer bytes accepted after the last chunk: every trailer field line including its CRLF,
    /// excluding the final empty line. More fails with `.headerFieldsTooLarge` (431).
    public var maxTrailerBytes: Int

    public init(
        maxRequestLineBytes: Int = 8 * 1024,
        maxHeaderBytes: Int = 32 * 1024,
        maxHeaderCount: Int = 100,
        maxBodyBytes: Int = 8 * 1024 * 1024,
        maxChunkLineBytes: Int = 1024,
        maxTrailerBytes: Int = 8 * 1024
    ) {
        self.maxRequestLineBytes = maxRequestLineBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
        self.maxChunkLineBytes = maxChunkLineBytes
        self.maxTrailerBytes = maxTrailerBytes
    }

    /// The limits with every field forced into the range the parser can represent: non-negative,
    /// and head sizes small enough for the 32-bit offsets `HTTPHeaders` stores.
    var clamped: ParserLimits {
        let headCeiling = Int(UInt32.max) - 2
        return ParserLimits(
            maxRequestLineBytes: min(max(maxRequestLineBytes, 0), headCeiling),
            maxHeaderBytes: min(max(maxHeaderBytes, 0), headCeiling),
            maxHeaderCount: max(maxHeaderCount, 0),
            maxBodyBytes: max(maxBodyBytes, 0),
            maxChunkLineBytes: min(max(maxChunkLineBytes, 0), Int.max - 2),
            maxTrailerBytes: min(max(maxTrailerBytes, 0), Int.max - 2)
        )
    }
}
