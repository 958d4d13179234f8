/// What the relay sink reports for metrics, one call per finished upstream request.
public protocol RelayObserver: AnyObject, Sendable {
    /// `statusClass` is `2xx`, `3xx`, `4xx`, `5xx`, or `error` when no HTTP answer came (refused, timed out);
    /// `sentBytes` is the compressed body.
    func upstreamRequestFinished(statusClass: String, events: Int, sentBytes: Int, duration: Duration)
}
