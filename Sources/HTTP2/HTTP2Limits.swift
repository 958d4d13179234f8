/// The bounds one HTTP/2 connection lives by. The first four are announced to the client in the server's
/// SETTINGS; the rest are enforced by ``HTTP2Session`` (or, for the timeouts, by the connection driver
/// through ``HTTP2KeepAlive``). Every default is finite and documented in docs/configuration.md.
public struct HTTP2Limits: Sendable, Equatable {
    /// SETTINGS_MAX_CONCURRENT_STREAMS: requests one connection may have open at once. A client that opens
    /// more gets the extra streams refused (RST_STREAM REFUSED_STREAM, by nghttp2).
    public var maxConcurrentStreams: Int
    /// SETTINGS_MAX_HEADER_LIST_SIZE, and enforced: the decoded size of one request's header list
    /// (name + value + 32 bytes per field, as RFC 9113 §6.5.2 counts it). A larger list, such as an HPACK
    /// bomb that references one big table entry many times, is answered 431 without being stored.
    public var maxHeaderListBytes: Int
    /// SETTINGS_MAX_FRAME_SIZE: the largest frame payload the client may send (16 KiB … 16 MiB - 1).
    public var maxFrameBytes: Int
    /// SETTINGS_INITIAL_WINDOW_SIZE: bytes a client may send on one stream before the server consumes them.
    /// Sized so a multi-megabyte export needs few window updates on a low-latency path.
    public var initialStreamWindowBytes: Int
    /// The connection-level receive window: bytes the client may send across all streams before the server
    /// consumes them. Together with the per-connection body budget this bounds a connection's memory.
    public var connectionWindowBytes: Int
    /// The most body bytes one stream may carry (the HTTP/1.1 body limit); more ends the stream's request
    /// with ``HTTP2Event/bodyTooLarge(streamID:)``.
    public var maxBodyBytesPerStream: Int
    /// Rapid-reset defence (CVE-2023-44487): RST_STREAM frames a client may send in a burst; the bucket
    /// refills at ``streamResetsPerSecond``. Past it the connection ends with GOAWAY ENHANCE_YOUR_CALM.
    public var streamResetBurst: Int
    /// Refill rate of the reset bucket: sustained RST_STREAM frames per second a connection may send.
    public var streamResetsPerSecond: Int
    /// A connection with no open stream for this long is closed with a graceful GOAWAY.
    public var idleTimeout: Duration
    /// A connection with open streams but no bytes from the client for this long is sent a PING.
    public var pingAfterSilence: Duration
    /// A PING not acknowledged within this long ends the connection (the peer is gone).
    public var pingTimeout: Duration

    public init(
        maxConcurrentStreams: Int = 100,
        maxHeaderListBytes: Int = 16 * 1024,
        maxFrameBytes: Int = 64 * 1024,
        initialStreamWindowBytes: Int = 1 << 20,
        connectionWindowBytes: Int = 16 << 20,
        maxBodyBytesPerStream: Int = 8 * 1024 * 1024,
        streamResetBurst: Int = 200,
        streamResetsPerSecond: Int = 20,
        idleTimeout: Duration = .seconds(60),
        pingAfterSilence: Duration = .seconds(30),
        pingTimeout: Duration = .seconds(10)
    ) {
        self.maxConcurrentStreams = maxConcurrentStreams
        self.maxHeaderListBytes = maxHeaderListBytes
        self.maxFrameBytes = maxFrameBytes
        self.initialStreamWindowBytes = initialStreamWindowBytes
        self.connectionWindowBytes = connectionWindowBytes
        self.maxBodyBytesPerStream = maxBodyBytesPerStream
        self.streamResetBurst = streamResetBurst
        self.streamResetsPerSecond = streamResetsPerSecond
        self.idleTimeout = idleTimeout
        self.pingAfterSilence = pingAfterSilence
        self.pingTimeout = pingTimeout
    }

    /// The limits forced into the ranges HTTP/2 allows (RFC 9113 §6.5.2, §6.9.1).
    var clamped: HTTP2Limits {
        var limits = self
        limits.maxConcurrentStreams = min(max(maxConcurrentStreams, 1), Int(Int32.max))
        limits.maxHeaderListBytes = min(max(maxHeaderListBytes, 1024), Int(Int32.max))
        limits.maxFrameBytes = min(max(maxFrameBytes, 16_384), 16_777_215)
        limits.initialStreamWindowBytes = min(max(initialStreamWindowBytes, 65_535), Int(Int32.max))
        limits.connectionWindowBytes = min(max(connectionWindowBytes, 65_535), Int(Int32.max))
        limits.maxBodyBytesPerStream = max(maxBodyBytesPerStream, 0)
        limits.streamResetBurst = max(streamResetBurst, 1)
        limits.streamResetsPerSecond = max(streamResetsPerSecond, 0)
        return limits
    }
}
