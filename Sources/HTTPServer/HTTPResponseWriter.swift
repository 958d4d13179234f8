/// The one-shot handle a route uses to answer. It may be called from any thread (the WAL writer answers
/// durable requests); the response is written on the connection's own lane.
public struct HTTPResponseWriter: Sendable {
    private let deliver: @Sendable (HTTPResponse) -> Void

    init(deliver: @escaping @Sendable (HTTPResponse) -> Void) {
        self.deliver = deliver
    }

    /// Sends the response. Call exactly once; later calls are ignored by the connection.
    public func send(_ response: HTTPResponse) {
        deliver(response)
    }

    /// A writer that hands the response to `body`; for tests and in-process callers.
    public static func capturing(_ body: @escaping @Sendable (HTTPResponse) -> Void) -> HTTPResponseWriter {
        HTTPResponseWriter(deliver: body)
    }
}
