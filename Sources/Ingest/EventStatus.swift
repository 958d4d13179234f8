/// The outcome for one element of a batch, in request order. The HTTP layer renders `.accepted` as
/// `{"status":202}` and `.rejected` as `{"status":<status>,"error":"<message>"}`.
public enum EventStatus: Sendable, Equatable {
    case accepted
    case rejected(status: Int, message: String)
}
