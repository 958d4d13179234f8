import EventModel
import HTTP1
import HTTPServer
import Ingest
import Pipeline

/// OTLP/HTTP as an ``IngestFormat``: one signal (traces, logs or metrics) in protobuf or JSON, mapped to flat
/// Honeycomb events as Honeycomb does (docs/otlp.md). Answers come in the request's encoding: an empty
/// `Export…ServiceResponse` (with `partial_success` when items were rejected) or a `google.rpc.Status`.
/// Retryable conditions answer 503 + Retry-After, or 429 + Retry-After for a key over its rate limit (the
/// OTLP spec's retryable codes); everything else 4xx.
struct OTLPFormat: OTLPSignalFormat {
    /// gRPC codes carried in `google.rpc.Status` bodies.
    enum GRPCCode {
        static let invalidArgument: Int32 = 3
        static let permissionDenied: Int32 = 7
        static let resourceExhausted: Int32 = 8
        static let unavailable: Int32 = 14
        static let unauthenticated: Int32 = 16
    }

    let signal: OTLPSignal
    let decoder: OTLPDecoder

    var missingKeyMessage: String { IngestAdmission.missingKeyMessage }

    func screen(_ request: HTTPRequest) -> Result<OTLPEncoding, AdmissionRefusal> {
        guard let encoding = OTLPEncoding(contentType: request.head.headers["Content-Type"]) else {
            return .failure(AdmissionRefusal(
                .unsupportedEncoding, .unsupportedMediaType, OTLPEncoding.unsupportedContentTypeMessage
            ))
        }
        return .success(encoding)
    }

    func authorize(_ encoding: OTLPEncoding, http: HTTPRequest, key: APIKeyEntry) -> Result<OTLPEncoding, AdmissionRefusal> {
        // The datasets are known only after decoding; see `decode`.
        .success(encoding)
    }

    func decode(
        _ body: [UInt8], _ encoding: OTLPEncoding, http: HTTPRequest, key: APIKeyEntry, rawKey: String,
        receiveTimeNanos: Int64
    ) throws(AdmissionRefusal) -> OTLPDecodeResult {
        let context = OTLPRequestContext(
            keyID: key.keyID, keyKind: APIKeyKind(key: rawKey),
            datasetHeader: http.head.headers["X-Honeycomb-Dataset"], receiveTimeNanos: receiveTimeNanos
        )
        let result: OTLPDecodeResult
        do {
            result = try decoder.decode(body, signal: signal, encoding: encoding, context: context)
        } catch {
            throw AdmissionRefusal(
                error == .malformed ? .malformed : .unauthorized, HTTPStatus(code: error.status), error.message,
                grpcCode: error.grpcCode
            )
        }
        if let denied = result.batches.first(where: { !key.permits(dataset: $0.dataset) }) {
            throw AdmissionRefusal(
                .forbidden, .forbidden, "API key is not permitted to send to dataset '\(denied.dataset)'"
            )
        }
        return result
    }

    func success(_ decoded: OTLPDecodeResult, _ encoding: OTLPEncoding, sinkRejected: [SinkRejection]) -> HTTPResponse {
        let partial = partialSuccess(decoded, sinkRejected: sinkRejected)
        return HTTPResponse(
            status: .ok, headers: [("Content-Type", OTLPResponseEncoder.contentType(encoding))],
            body: OTLPResponseEncoder.success(
                signal: signal, encoding: encoding, rejected: partial.rejected, message: partial.message
            )
        )
    }

    func refusal(_ refusal: AdmissionRefusal, for encoding: OTLPEncoding?) -> HTTPResponse {
        guard let encoding else {
            // No encoding to answer in: the media type itself was refused.
            return HTTPResponse(
                status: refusal.status, headers: [("Content-Type", "text/plain; charset=utf-8")],
                body: Array(refusal.message.utf8)
            )
        }
        return HTTPResponse(
            status: refusal.status,
            headers: [("Content-Type", OTLPResponseEncoder.contentType(encoding))] + refusal.retryAfterHeaders,
            body: OTLPResponseEncoder.status(
                grpcCode: refusal.grpcCode ?? Self.grpcCode(for: refusal.status), message: refusal.message,
                encoding: encoding
            )
        )
    }

    /// The gRPC code OTLP/HTTP clients expect for a refusal's HTTP status.
    static func grpcCode(for status: HTTPStatus) -> Int32 {
        switch status.code {
        case HTTPStatus.unauthorized.code: GRPCCode.unauthenticated
        case HTTPStatus.forbidden.code: GRPCCode.permissionDenied
        case HTTPStatus.tooManyRequests.code: GRPCCode.resourceExhausted
        case HTTPStatus.serviceUnavailable.code: GRPCCode.unavailable
        default: GRPCCode.invalidArgument
        }
    }
}
