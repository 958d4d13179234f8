import HTTP1

/// A whole ingest request refused before anything was stored: the answer's status and text, and the
/// `reason` it is counted under in `kelpie_ingest_refusals_total`. Each format encodes it its own way.
struct AdmissionRefusal: Error, Sendable {
    var reason: IngestRefusal
    var status: HTTPStatus
    var message: String
    /// Set on retryable refusals (429, 503): the `Retry-After` header.
    var retryAfterSeconds: Int?
    /// The decoder's own gRPC code for formats that answer with a `google.rpc.Status` (OTLP); nil lets the
    /// format derive one from the status.
    var grpcCode: Int32?

    init(
        _ reason: IngestRefusal, _ status: HTTPStatus, _ message: String,
        retryAfterSeconds: Int? = nil, grpcCode: Int32? = nil
    ) {
        self.reason = reason
        self.status = status
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
        self.grpcCode = grpcCode
    }

    /// The `Retry-After` header, when the refusal has one.
    var retryAfterHeaders: [(String, String)] {
        retryAfterSeconds.map { [("Retry-After", String($0))] } ?? []
    }
}
