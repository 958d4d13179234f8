/// What a route handler returns: the response now, or a ``PendingResponse`` that someone completes later
/// (the WAL writer, once a batch is durable). Either way the connection writes the response on its lane.
public enum RouteAnswer: Sendable {
    case now(HTTPResponse)
    case later(PendingResponse)
}

extension RouteAnswer {
    /// The same answer with `transform` applied to its response (for a pending one, on the lane too).
    public func map(_ transform: @escaping @Sendable (HTTPResponse) -> HTTPResponse) -> RouteAnswer {
        switch self {
        case .now(let response): .now(transform(response))
        case .later(let pending): .later(pending.map(transform))
        }
    }
}
