public import EventModel
/// A decoded `/1/batch` request: the accepted events, and one status per input element.
public struct DecodedRequest: Sendable {
    /// Accepted events only, in request order; `batch.body` is the decoded request body.
    public var batch: EventBatch
    /// One entry per element of the request's array, in order (`statuses.count` = elements sent).
    public var statuses: [EventStatus]

    public init(batch: EventBatch, statuses: [EventStatus]) {
        self.batch = batch
        self.statuses = statuses
    }
}
