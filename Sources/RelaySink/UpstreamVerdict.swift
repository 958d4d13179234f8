/// What one finished upstream request means for the events it carried. Pure: built from the HTTP status,
/// the answer body, the `Retry-After` seconds and the transport error, if any.
enum UpstreamVerdict: Equatable {
    /// The upstream answered per event (as many statuses as events): 2xx delivered, 4xx rejected for good,
    /// anything else fails the events' blocks.
    case perEvent([Int])
    /// A whole-request 4xx that retrying cannot fix (400, 404, 413, …): every event is rejected.
    case rejectAll(reason: String)
    /// Nothing is known delivered; the blocks are handed over again, no sooner than `retryAfter`.
    case failed(reason: String, retryAfter: Duration?)

    /// The reason a per-event 4xx is dead-lettered with.
    static func rejectionReason(status: Int) -> String { "upstream_\(status)" }

    static func of(
        httpStatus: Int?, body: [UInt8], retryAfterSeconds: Int64?, transportError: String?, eventCount: Int,
        maxRetryAfter: Duration
    ) -> UpstreamVerdict {
        if let transportError { return .failed(reason: transportError, retryAfter: nil) }
        guard let status = httpStatus else { return .failed(reason: "transport_error", retryAfter: nil) }
        switch status {
        case 200..<300:
            guard let statuses = BatchResponseParser.statuses(body), statuses.count == eventCount else {
                return .failed(reason: "upstream_bad_answer", retryAfter: nil)
            }
            return .perEvent(statuses)
        case 401, 403:
            return .failed(reason: "unauthorized", retryAfter: nil)
        case 408, 429, 503:
            let retryAfter = retryAfterSeconds.map { min(Duration.seconds($0), maxRetryAfter) }
            return .failed(reason: "upstream_\(status)", retryAfter: retryAfter)
        case 400..<500:
            return .rejectAll(reason: rejectionReason(status: status))
        case 500..<600:
            return .failed(reason: "upstream_5xx", retryAfter: retryAfterSeconds.map { min(Duration.seconds($0), maxRetryAfter) })
        default:
            return .failed(reason: "upstream_\(status / 100)xx", retryAfter: nil)
        }
    }

    /// What the answer says about the upstream, or nil if it says nothing new (a timeout, a 5xx).
    static func health(httpStatus: Int?, transportError: String?) -> RelayHealth? {
        if let status = httpStatus {
            return status == 401 || status == 403 ? .unauthorized : .reachable
        }
        switch transportError {
        case "connect_failed", "resolve_failed": return .unreachable
        default: return nil
        }
    }

    /// `2xx` … `5xx`, or `error` when no HTTP answer came.
    static func statusClass(_ httpStatus: Int?) -> String {
        guard let status = httpStatus, (100..<600).contains(status) else { return "error" }
        return "\(status / 100)xx"
    }
}
