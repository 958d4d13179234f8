public import DispatchSockets
public import HTTP1
public import HTTP2

/// Everything the HTTP server needs to run: where and how to listen, the parser's limits, and the
/// connection timeouts. Defaults are finite and documented in docs/configuration.md.
public struct ServerConfiguration: Sendable {
    public var socket: SocketServerConfiguration
    public var parserLimits: ParserLimits
    public var timeouts: ConnectionTimeouts
    /// Output a connection may have queued (client not reading its responses) before the server stops
    /// reading further requests from it.
    public var maxPendingOutputBytes: Int
    /// HTTP/2 connections (h2c, sniffed from the client preface): SETTINGS, caps and keep-alive timing.
    public var http2Limits: HTTP2Limits
    /// Request body bytes held in memory across all connections before reading stops (see ``MemoryBudget``);
    /// used when the server is not handed a budget shared with other listeners.
    public var maxInflightBytes: Int

    public init(
        socket: SocketServerConfiguration = .init(),
        parserLimits: ParserLimits = .init(),
        timeouts: ConnectionTimeouts = .init(),
        maxPendingOutputBytes: Int = 1 << 20,
        http2Limits: HTTP2Limits = .init(),
        maxInflightBytes: Int = 256 * 1024 * 1024
    ) {
        self.socket = socket
        self.parserLimits = parserLimits
        self.timeouts = timeouts
        self.maxPendingOutputBytes = maxPendingOutputBytes
        self.http2Limits = http2Limits
        self.maxInflightBytes = maxInflightBytes
    }
}
