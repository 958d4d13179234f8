import EventModel
import HTTPServer
import Ingest
import Pipeline

/// One ingest wire format as ``IngestAdmission`` drives it: its checks, its decoder and its answers. The
/// steps around them (authenticate, preview admission, decode content, submit, answer) are shared, so a new
/// format plugs in by providing only this.
protocol IngestFormat: Sendable {
    /// What the format reads from the request before decoding (dataset, body encoding, …).
    associatedtype Request: Sendable
    /// A decoded request: the batches to store and what the success answer needs.
    associatedtype Decoded: Sendable

    /// The 401 text when the request carries no key at all.
    var missingKeyMessage: String { get }

    /// Checks that need no key (media type, raw size); a refusal here is answered with `refusal(_:for: nil)`.
    func screen(_ request: HTTPRequest) -> Result<Request, AdmissionRefusal>

    /// Checks once the key is known, before any decoding (the dataset a path names, an empty body).
    func authorize(_ request: Request, http: HTTPRequest, key: APIKeyEntry) -> Result<Request, AdmissionRefusal>

    /// The bytes the decode-content step undoes, and their encoding. By default the body and its
    /// `Content-Encoding`; gRPC hands over its message and `grpc-encoding`.
    func content(_ request: Request, http: HTTPRequest) -> EncodedContent

    /// Decodes the content-decoded body into batches.
    func decode(
        _ body: [UInt8], _ request: Request, http: HTTPRequest, key: APIKeyEntry, rawKey: String, receiveTimeNanos: Int64
    ) throws(AdmissionRefusal) -> Decoded

    /// The batches to store (empty ones are skipped) and the events the decoder refused one by one.
    func batches(of decoded: Decoded) -> [EventBatch]
    func rejectedEvents(of decoded: Decoded) -> (reason: String, count: Int)

    /// The `format` label of `kelpie_events_accepted_total`.
    func metricsLabel(_ request: Request) -> String

    /// The answer once the batches are stored (or at once when there was nothing to store). `sinkRejected`
    /// (ack=delivered only) are events the sink can never deliver, indexed across `batches(of:)` in order:
    /// the answer reports them as per-event errors.
    func success(_ decoded: Decoded, _ request: Request, sinkRejected: [SinkRejection]) -> HTTPResponse

    /// The answer to a refusal; `request` is nil when screening itself refused.
    func refusal(_ refusal: AdmissionRefusal, for request: Request?) -> HTTPResponse
}

/// What the decode-content step undoes: bytes and their encoding (nil: an encoding Kelpie does not read,
/// answered 415).
struct EncodedContent: Sendable {
    var bytes: [UInt8]
    var encoding: ContentEncoding?
}

extension IngestFormat {
    func content(_ request: Request, http: HTTPRequest) -> EncodedContent {
        EncodedContent(bytes: http.body, encoding: ContentEncoding(headerValue: http.head.headers["Content-Encoding"]))
    }
}
