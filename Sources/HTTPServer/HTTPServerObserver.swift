public import HTTP1

/// What the server reports about its traffic; the composition root turns these into metrics.
/// Calls come from I/O lanes, concurrently: implementations must be cheap and thread-safe.
public protocol HTTPServerObserver: Sendable {
    /// One request answered. `route` is the matched template, or a fixed label (`NotFound`,
    /// `MethodNotAllowed`, `BadRequest`, `Timeout`) so the label set stays bounded.
    func requestFinished(route: String, method: HTTPMethod, status: Int, duration: Duration, wireBytes: Int)
    func connectionOpened()
    func connectionClosed()
}

extension HTTPServerObserver {
    public func requestFinished(route: String, method: HTTPMethod, status: Int, duration: Duration, wireBytes: Int) {}
    public func connectionOpened() {}
    public func connectionClosed() {}
}
