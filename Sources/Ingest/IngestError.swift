/// Whole-request failures while decoding a Honeycomb request. No event of the request is accepted.
/// Texts follow Honeycomb's published API where it has one.
public enum IngestError: Error, Sendable, Equatable {
    /// 400: the decoded body is empty or only whitespace; for `/1/events` also a body that is `{}`
    /// (an event with no fields; in a batch that is the per-event "empty event data" instead).
    case emptyBody
    /// 400: not valid JSON, or valid JSON of the wrong shape (a batch that is not an array, a single
    /// event that is not an object, or one nested deeper than ``HoneycombDecoder/maxEventDepth``), or a
    /// compressed body that does not decompress.
    case malformed
    /// 413: the decoded body is over ``IngestLimits/maxDecodedBodyBytes``.
    case tooLarge
    /// 415: a `Content-Encoding` other than none, gzip or zstd.
    case unsupportedContentEncoding
    /// 400, `/1/events` only: more than ``IngestLimits/maxFieldsPerEvent`` fields (in a batch this is the
    /// per-event status with the same text).
    case tooManyFields
    /// 400, `/1/events` only: the event is over ``IngestLimits/maxEventBytes`` (in a batch this is the
    /// per-event status with the same text).
    case eventTooLarge

    public var status: Int {
        switch self {
        case .emptyBody, .malformed, .tooManyFields, .eventTooLarge: 400
        case .tooLarge: 413
        case .unsupportedContentEncoding: 415
        }
    }

    public var message: String {
        switch self {
        case .emptyBody: "Request body should not be empty."
        case .malformed: "Request body is malformed and cannot be read."
        case .tooLarge: "Request body is too large."
        case .unsupportedContentEncoding: "Unsupported Content-Encoding; use gzip, zstd or none."
        case .tooManyFields: HoneycombDecoder.tooManyFieldsMessage
        case .eventTooLarge: HoneycombDecoder.eventTooLargeMessage
        }
    }
}
