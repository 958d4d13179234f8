import HTTP1
import HTTPServer
import Ingest

/// OTLP/HTTP: `POST /v1/traces`, `/v1/logs`, `/v1/metrics` in protobuf or JSON, mapped to flat Honeycomb
/// events as Honeycomb does (docs/otlp.md). Answers come in the request's encoding: an empty
/// `Export…ServiceResponse` (with `partial_success` when items were rejected) or a `google.rpc.Status`.
/// Retryable conditions answer 503 + Retry-After (the OTLP spec's retryable codes); everything else 4xx.
final class OTLPRoutes: Sendable {
    private let ingest: IngestRoutes
    private let decoder: OTLPDecoder
    private let keys: APIKeyStore
    private let metrics: KelpieMetrics

    /// gRPC codes carried in `google.rpc.Status` bodies.
    enum GRPCCode {
        static let invalidArgument: Int32 = 3
        static let permissionDenied: Int32 = 7
        static let resourceExhausted: Int32 = 8
        static let unavailable: Int32 = 14
        static let unauthenticated: Int32 = 16
    }

    init(ingest: IngestRoutes, decoder: OTLPDecoder, keys: APIKeyStore, metrics: KelpieMetrics) {
        self.ingest = ingest
        self.decoder = decoder
        self.keys = keys
        self.metrics = metrics
    }

    var routes: [Route] {
        [OTLPSignal.traces, .logs, .metrics].map { signal in
            Route(.post, "/v1/\(signal.rawValue)") { [self] request, writer in export(signal, request, writer) }
        }
    }

    private func export(_ signal: OTLPSignal, _ request: HTTPRequest, _ writer: HTTPResponseWriter) {
        guard let encoding = OTLPEncoding(contentType: request.head.headers["Content-Type"]) else {
            metrics.recordRefusal(.unsupportedEncoding)
            writer.send(HTTPResponse(
                status: .unsupportedMediaType, headers: [("Content-Type", "text/plain; charset=utf-8")],
                body: Array(OTLPEncoding.unsupportedContentTypeMessage.utf8)
            ))
            return
        }
        @Sendable func fail(_ status: HTTPStatus, _ code: Int32, _ message: String, _ headers: [(String, String)] = []) -> HTTPResponse {
            HTTPResponse(
                status: status, headers: [("Content-Type", OTLPResponseEncoder.contentType(encoding))] + headers,
                body: OTLPResponseEncoder.status(grpcCode: code, message: message, encoding: encoding)
            )
        }

        guard let key = IngestRoutes.apiKey(request.head.headers) else {
            metrics.recordRefusal(.unauthorized)
            writer.send(fail(.unauthorized, GRPCCode.unauthenticated, "missing 'x-honeycomb-team' header"))
            return
        }
        guard case .admitted(let entry) = keys.authenticate(key) else {
            metrics.recordRefusal(.unauthorized)
            writer.send(fail(.unauthorized, GRPCCode.unauthenticated, IngestRoutes.unknownKeyMessage))
            return
        }
        guard entry.sendEvents else {
            metrics.recordRefusal(.forbidden)
            writer.send(fail(.forbidden, GRPCCode.permissionDenied, "API key is not permitted to send events"))
            return
        }
        if let refusal = ingest.refusalBeforeDecoding(request) {
            writer.send(fail(.serviceUnavailable, GRPCCode.unavailable, refusal.message, [("Retry-After", String(refusal.retryAfterSeconds))]))
            return
        }
        let body: [UInt8]
        switch ingest.decodeContent(request) {
        case .success(let decoded):
            body = decoded
        case .failure(let refusal):
            writer.send(fail(refusal.status, GRPCCode.invalidArgument, refusal.message))
            return
        }

        let context = OTLPRequestContext(
            keyID: entry.keyID, keyKind: APIKeyKind(key: key),
            datasetHeader: request.head.headers["X-Honeycomb-Dataset"], receiveTimeNanos: IngestRoutes.nowUnixNanos()
        )
        let result: OTLPDecodeResult
        do {
            result = try decoder.decode(body, signal: signal, encoding: encoding, context: context)
        } catch {
            metrics.recordRefusal(error == .malformed ? .malformed : .unauthorized)
            writer.send(fail(HTTPStatus(code: error.status), error.grpcCode, error.message))
            return
        }
        if let denied = result.batches.first(where: { !entry.permits(dataset: $0.dataset) }) {
            metrics.recordRefusal(.forbidden)
            writer.send(fail(.forbidden, GRPCCode.permissionDenied, "API key is not permitted to send to dataset '\(denied.dataset)'"))
            return
        }
        if result.rejectedItems > 0 {
            metrics.recordRejectedEvents(reason: "otlp_item_rejected", count: result.rejectedItems)
        }
        let success: @Sendable () -> HTTPResponse = {
            HTTPResponse(
                status: .ok, headers: [("Content-Type", OTLPResponseEncoder.contentType(encoding))],
                body: OTLPResponseEncoder.success(
                    signal: signal, encoding: encoding, rejected: result.rejectedItems, message: result.rejectionMessage
                )
            )
        }
        let batches = result.batches.filter { !$0.events.isEmpty }
        guard !batches.isEmpty else {
            writer.send(success())
            return
        }
        ingest.submit(batches, format: "otlp_\(signal.rawValue)", writer, failure: { message, retryAfter in
            fail(.serviceUnavailable, GRPCCode.unavailable, message, [("Retry-After", String(retryAfter))])
        }, success: success)
    }
}
