import HTTP1
import HTTPServer
import Ingest
import Pipeline

#if canImport(Glibc)
import Glibc
#endif

/// The Honeycomb Events API routes: `/1/batch/{dataset}` and `/1/events/{dataset}`. Each request is
/// authenticated, content-decoded (capped), decoded into an ``EventBatch`` and submitted to the pipeline;
/// the answer goes out when the pipeline acknowledges (after fsync with `--ack=durable`).
final class IngestRoutes: Sendable {
    private let pipeline: EventPipeline
    private let decoder: HoneycombDecoder
    private let metrics: KelpieMetrics
    private let keys: APIKeyStore
    private let maxDecodedBodyBytes: Int
    private let maxEventBodyBytes: Int

    static let unknownKeyMessage = "unknown API key - check your credentials"
    /// No key at all: say so (the same text Honeycomb's OTLP endpoint uses), rather than "unknown".
    static let missingKeyMessage = "missing 'x-honeycomb-team' header"

    init(
        pipeline: EventPipeline, decoder: HoneycombDecoder, metrics: KelpieMetrics, keys: APIKeyStore,
        maxDecodedBodyBytes: Int, maxEventBodyBytes: Int
    ) {
        self.pipeline = pipeline
        self.decoder = decoder
        self.metrics = metrics
        self.keys = keys
        self.maxDecodedBodyBytes = maxDecodedBodyBytes
        self.maxEventBodyBytes = maxEventBodyBytes
    }

    var routes: [Route] {
        [
            Route(.post, "/1/batch/{dataset}") { [self] request, writer in batch(request, writer) },
            Route(.post, "/1/events/{dataset}") { [self] request, writer in single(request, writer) },
        ]
    }

    // MARK: routes

    private func batch(_ request: HTTPRequest, _ writer: HTTPResponseWriter) {
        guard let (dataset, keyID, body) = admit(request, writer) else { return }
        // libhoney-go (EnableMsgpackEncoding) and Refinery send msgpack; the reply then is msgpack too.
        let msgpack = Self.isMsgPack(request.head.headers["Content-Type"])
        let decoded: DecodedRequest
        do {
            let now = Self.nowUnixNanos()
            decoded = msgpack
                ? try decoder.decodeMsgPackBatch(body: body, dataset: dataset, keyID: keyID, receiveTimeNanos: now)
                : try decoder.decodeBatch(body: body, dataset: dataset, keyID: keyID, receiveTimeNanos: now)
        } catch {
            refuse(error, writer)
            return
        }
        var rejected = 0
        for case .rejected in decoded.statuses { rejected += 1 }
        if rejected > 0 { metrics.recordRejectedEvents(reason: "invalid_event", count: rejected) }
        let statuses = decoded.statuses
        let reply: @Sendable () -> HTTPResponse = {
            msgpack
                ? HTTPResponse(status: .ok, headers: [("Content-Type", "application/msgpack")], body: BatchResponseEncoder.msgpack(statuses))
                : .json(.ok, BatchResponseEncoder.json(statuses))
        }
        guard !decoded.batch.events.isEmpty else {
            writer.send(reply())
            return
        }
        submit([decoded.batch], format: msgpack ? "msgpack" : "json", writer, success: reply)
    }

    /// `application/msgpack` or `application/x-msgpack`, parameters and case ignored.
    static func isMsgPack(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        let mediaType = String(contentType.split(separator: ";", maxSplits: 1).first ?? "").trimmingWhitespace().lowercased()
        return mediaType == "application/msgpack" || mediaType == "application/x-msgpack"
    }

    private func single(_ request: HTTPRequest, _ writer: HTTPResponseWriter) {
        // Honeycomb documents 1 MB as the raw (possibly compressed) body limit of /1/events.
        guard request.body.count <= maxEventBodyBytes else {
            metrics.recordRefusal(.bodyTooLarge)
            writer.send(.jsonError(.contentTooLarge, "Request body is too large."))
            return
        }
        guard let (dataset, keyID, body) = admit(request, writer) else { return }
        let batch: EventBatch
        do {
            batch = try decoder.decodeSingle(
                body: body, dataset: dataset, keyID: keyID,
                eventTimeHeader: request.head.headers["X-Honeycomb-Event-Time"],
                sampleRateHeader: request.head.headers["X-Honeycomb-Samplerate"],
                receiveTimeNanos: Self.nowUnixNanos()
            )
        } catch {
            refuse(error, writer)
            return
        }
        submit([batch], format: "json", writer) { HTTPResponse(status: .ok) }
    }

    // MARK: shared steps

    /// Authentication and content decoding, common to both routes. Answers and returns nil on refusal.
    private func admit(_ request: HTTPRequest, _ writer: HTTPResponseWriter) -> (String, String, [UInt8])? {
        guard let entry = authorize(request, writer) else { return nil }
        guard let dataset = DatasetName.validate(request.parameters["dataset"] ?? "") else {
            metrics.recordRefusal(.invalidDataset)
            writer.send(.jsonError(.badRequest, DatasetName.invalidMessage))
            return nil
        }
        guard entry.permits(dataset: dataset) else {
            metrics.recordRefusal(.forbidden)
            writer.send(.jsonError(.forbidden, "API key is not permitted to send to dataset '\(dataset)'"))
            return nil
        }
        guard !request.body.isEmpty else {
            refuse(IngestError.emptyBody, writer)
            return nil
        }
        if let refusal = refusalBeforeDecoding(request) {
            writer.send(Self.unavailable(refusal.message, retryAfterSeconds: refusal.retryAfterSeconds))
            return nil
        }
        let body: [UInt8]
        switch decodeContent(request) {
        case .success(let decoded):
            body = decoded
        case .failure(let refusal):
            writer.send(.jsonError(refusal.status, refusal.message))
            return nil
        }
        return (dataset, entry.keyID, body)
    }

    /// When the pipeline would refuse anyway (queue full, stopping), say so before decoding: under overload
    /// the CPU is better spent on requests that can be admitted. The wire size stands in for the encoded size.
    func refusalBeforeDecoding(_ request: HTTPRequest) -> (message: String, retryAfterSeconds: Int)? {
        switch pipeline.admissionPreview(estimatedBytes: request.body.count) {
        case .accepted:
            return nil
        case .queueFull(let retryAfterSeconds):
            metrics.recordRefusal(.queueFull)
            return ("server is at capacity; retry later", retryAfterSeconds)
        case .stopped:
            metrics.recordRefusal(.draining)
            return ("server is shutting down; retry later", 1)
        }
    }

    struct ContentRefusal: Error {
        var status: HTTPStatus
        var message: String
    }

    /// Undoes `Content-Encoding` with the decoded-size cap; counts and describes a refusal.
    func decodeContent(_ request: HTTPRequest) -> Result<[UInt8], ContentRefusal> {
        guard let encoding = ContentEncoding(headerValue: request.head.headers["Content-Encoding"]) else {
            metrics.recordRefusal(.unsupportedEncoding)
            return .failure(ContentRefusal(status: .unsupportedMediaType, message: "unsupported Content-Encoding; use gzip, zstd or none"))
        }
        do {
            let body = try ContentDecoder.decode(request.body, encoding: encoding, maxDecodedBytes: maxDecodedBodyBytes)
            metrics.recordBytes(wire: request.body.count, decoded: body.count)
            return .success(body)
        } catch {
            switch error {
            case .tooLarge:
                metrics.recordRefusal(.decodedTooLarge)
                return .failure(ContentRefusal(status: .contentTooLarge, message: "Request body is too large."))
            case .malformed:
                metrics.recordRefusal(.malformed)
                return .failure(ContentRefusal(status: .badRequest, message: "Request body is malformed and cannot be read."))
            }
        }
    }

    /// The key must be known and allowed to send events; answers 401/403 and returns nil otherwise.
    func authorize(_ request: HTTPRequest, _ writer: HTTPResponseWriter) -> APIKeyEntry? {
        guard let key = Self.apiKey(request.head.headers) else {
            metrics.recordRefusal(.unauthorized)
            writer.send(.jsonError(.unauthorized, Self.missingKeyMessage))
            return nil
        }
        guard case .admitted(let entry) = keys.authenticate(key) else {
            metrics.recordRefusal(.unauthorized)
            writer.send(.jsonError(.unauthorized, Self.unknownKeyMessage))
            return nil
        }
        guard entry.sendEvents else {
            metrics.recordRefusal(.forbidden)
            writer.send(.jsonError(.forbidden, "API key is not permitted to send events"))
            return nil
        }
        return entry
    }

    /// Hands the batches to the pipeline as one submission; `success` builds the answer once they are
    /// acknowledged, `failure` the answer for a refusal (a 503 with Retry-After by default).
    func submit(
        _ batches: [EventBatch], format: String, _ writer: HTTPResponseWriter,
        failure: @escaping @Sendable (_ message: String, _ retryAfterSeconds: Int) -> HTTPResponse = IngestRoutes.unavailable,
        success: @escaping @Sendable () -> HTTPResponse
    ) {
        let metrics = self.metrics
        let admission = pipeline.submit(batches) { result in
            switch result {
            case .success:
                for batch in batches {
                    metrics.recordAccepted(events: batch.events.count, format: format, dataset: batch.dataset)
                }
                writer.send(success())
            case .failure:
                metrics.recordRefusal(.walWriteFailed)
                writer.send(failure("events could not be stored; retry later", 1))
            }
        }
        switch admission {
        case .accepted:
            break
        case .queueFull(let retryAfterSeconds):
            metrics.recordRefusal(.queueFull)
            writer.send(failure("server is at capacity; retry later", retryAfterSeconds))
        case .stopped:
            metrics.recordRefusal(.draining)
            writer.send(failure("server is shutting down; retry later", 1))
        }
    }

    static func unavailable(_ message: String, retryAfterSeconds: Int) -> HTTPResponse {
        .jsonError(.serviceUnavailable, message, headers: [("Retry-After", String(retryAfterSeconds))])
    }

    private func refuse(_ error: IngestError, _ writer: HTTPResponseWriter) {
        switch error {
        case .emptyBody: metrics.recordRefusal(.emptyBody)
        case .malformed: metrics.recordRefusal(.malformed)
        case .tooLarge: metrics.recordRefusal(.decodedTooLarge)
        case .unsupportedContentEncoding: metrics.recordRefusal(.unsupportedEncoding)
        case .tooManyFields, .eventTooLarge: metrics.recordRefusal(.invalidEvent)
        }
        writer.send(.jsonError(HTTPStatus(code: error.status), error.message))
    }

    /// `X-Honeycomb-Team`, or `X-Hny-Team` as Refinery also accepts; empty counts as missing.
    static func apiKey(_ headers: HTTPHeaders) -> String? {
        for name in ["X-Honeycomb-Team", "X-Hny-Team"] {
            if let value = headers[name], !value.isEmpty { return value }
        }
        return nil
    }

    static func nowUnixNanos() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }
}
