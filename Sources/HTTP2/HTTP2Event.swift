/// What one call of ``HTTP2Session/receive(_:now:)`` found, in the order the frames arrived.
public enum HTTP2Event: Sendable, Equatable {
    /// A request's header block is complete. Its body (if any) follows as ``data(streamID:bytes:)``.
    case head(streamID: Int32, HTTP2RequestHead)
    /// Request body bytes. The layer above calls ``HTTP2Session/consume(streamID:byteCount:)`` once it
    /// has taken them; until then they count against the client's flow-control windows.
    case data(streamID: Int32, bytes: [UInt8])
    /// The request is complete (END_STREAM received).
    case end(streamID: Int32)
    /// The body passed ``HTTP2Limits/maxBodyBytesPerStream``; no more data events follow for the stream.
    /// The layer above answers (413, or a gRPC status); the session resets the rest of the upload.
    case bodyTooLarge(streamID: Int32)
    /// The header list passed ``HTTP2Limits/maxHeaderListBytes``; the session answered 431 itself.
    case headerListTooLarge(streamID: Int32)
    /// The stream is gone (answered, reset by either side, or the connection failed). Any later answer
    /// for it is dropped. `errorCode` is `.noError` for a normal close.
    case closed(streamID: Int32, errorCode: HTTP2ErrorCode)
    /// A PING the server sent came back.
    case pingAcknowledged
    /// The connection cannot continue; a GOAWAY is queued where HTTP/2 asks for one. Flush the output,
    /// then close.
    case connectionFailed(HTTP2ConnectionFailure)
}

/// Why a connection was ended by the server.
public enum HTTP2ConnectionFailure: Sendable, Equatable {
    /// The first bytes were not the client connection preface.
    case badPreface
    /// A framing or protocol violation (a truncated or malformed frame, a bad SETTINGS, …); nghttp2 sent
    /// GOAWAY with the matching error code.
    case protocolError
    /// More RST_STREAM frames than the reset cap allows: GOAWAY ENHANCE_YOUR_CALM.
    case rapidReset
    /// The client queued too many frames the server must answer (SETTINGS/PING floods), per nghttp2.
    case flooded
    /// nghttp2 ran out of memory or a callback failed.
    case internalError
}
