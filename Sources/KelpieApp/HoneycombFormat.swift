import EventModel
import HTTP1
import HTTPServer
import Ingest
import Pipeline

/// The Honeycomb Events API as an ``IngestFormat``: `/1/batch/{dataset}` (a JSON or msgpack array, answered
/// with per-event statuses in the same encoding) and `/1/events/{dataset}` (one JSON event, answered 200).
/// Refusals are `{"error": "…"}` bodies.
struct HoneycombFormat: IngestFormat {
    enum Endpoint: Sendable {
        case batch
        case single
    }

    struct Request: Sendable {
        /// Validated by ``authorize(_:http:key:)``; empty before.
        var dataset = ""
        /// libhoney-go (EnableMsgpackEncoding) and Refinery send msgpack batches; the reply then is msgpack too.
        var msgpack: Bool
    }

    enum Decoded: Sendable {
        case batch(DecodedRequest)
        case single(EventBatch)
    }

    let endpoint: Endpoint
    let decoder: HoneycombDecoder
    let maxEventBodyBytes: Int

    var missingKeyMessage: String { IngestAdmission.missingKeyMessage }

    func screen(_ request: HTTPRequest) -> Result<Request, AdmissionRefusal> {
        switch endpoint {
        case .batch:
            return .success(Request(msgpack: Self.isMsgPack(request.head.headers["Content-Type"])))
        case .single:
            // Honeycomb documents 1 MB as the raw (possibly compressed) body limit of /1/events.
            guard request.body.count <= maxEventBodyBytes else {
                return .failure(AdmissionRefusal(.bodyTooLarge, .contentTooLarge, "Request body is too large."))
            }
            return .success(Request(msgpack: false))
        }
    }

    func authorize(_ request: Request, http: HTTPRequest, key: APIKeyEntry) -> Result<Request, AdmissionRefusal> {
        guard let dataset = DatasetName.validate(http.parameters["dataset"] ?? "") else {
            return .failure(AdmissionRefusal(.invalidDataset, .badRequest, DatasetName.invalidMessage))
        }
        guard key.permits(dataset: dataset) else {
            return .failure(AdmissionRefusal(
                .forbidden, .forbidden, "API key is not permitted to send to dataset '\(dataset)'"
            ))
        }
        guard !http.body.isEmpty else { return .failure(Self.refusal(IngestError.emptyBody)) }
        var authorized = request
        authorized.dataset = dataset
        return .success(authorized)
    }

    func decode(
        _ body: [UInt8], _ request: Request, http: HTTPRequest, key: APIKeyEntry, rawKey: String, receiveTimeNanos: Int64
    ) throws(AdmissionRefusal) -> Decoded {
        do {
            switch endpoint {
            case .batch:
                return .batch(request.msgpack
                    ? try decoder.decodeMsgPackBatch(
                        body: body, dataset: request.dataset, keyID: key.keyID, receiveTimeNanos: receiveTimeNanos)
                    : try decoder.decodeBatch(
                        body: body, dataset: request.dataset, keyID: key.keyID, receiveTimeNanos: receiveTimeNanos))
            case .single:
                return .single(try decoder.decodeSingle(
                    body: body, dataset: request.dataset, keyID: key.keyID,
                    eventTimeHeader: http.head.headers["X-Honeycomb-Event-Time"],
                    sampleRateHeader: http.head.headers["X-Honeycomb-Samplerate"],
                    receiveTimeNanos: receiveTimeNanos
                ))
            }
        } catch {
            throw Self.refusal(error)
        }
    }

    func batches(of decoded: Decoded) -> [EventBatch] {
        switch decoded {
        case .batch(let request): [request.batch]
        case .single(let batch): [batch]
        }
    }

    func rejectedEvents(of decoded: Decoded) -> (reason: String, count: Int) {
        guard case .batch(let request) = decoded else { return ("invalid_event", 0) }
        var rejected = 0
        for case .rejected in request.statuses { rejected += 1 }
        return ("invalid_event", rejected)
    }

    func metricsLabel(_ request: Request) -> String {
        request.msgpack ? "msgpack" : "json"
    }

    func success(_ decoded: Decoded, _ request: Request, sinkRejected: [SinkRejection]) -> HTTPResponse {
        switch decoded {
        case .batch(let decodedRequest):
            let statuses = Self.statuses(decodedRequest.statuses, sinkRejected: sinkRejected)
            return request.msgpack
                ? HTTPResponse(
                    status: .ok, headers: [("Content-Type", "application/msgpack")],
                    body: BatchResponseEncoder.msgpack(statuses))
                : .json(.ok, BatchResponseEncoder.json(statuses))
        case .single:
            guard let rejection = sinkRejected.first else { return HTTPResponse(status: .ok) }
            return .jsonError(.badRequest, Self.sinkRejectionMessage(rejection.reason))
        }
    }

    /// The batch's statuses with the sink's rejections in place: the batch's events are its accepted
    /// entries in order, so the n-th `.accepted` entry is event n.
    static func statuses(_ statuses: [EventStatus], sinkRejected: [SinkRejection]) -> [EventStatus] {
        guard !sinkRejected.isEmpty else { return statuses }
        var reasons: [Int: String] = [:]
        for rejection in sinkRejected { reasons[rejection.eventIndex] = rejection.reason }
        var result = statuses
        var eventIndex = 0
        for position in result.indices where result[position] == .accepted {
            if let reason = reasons[eventIndex] {
                result[position] = .rejected(status: 400, message: sinkRejectionMessage(reason))
            }
            eventIndex += 1
        }
        return result
    }

    /// What a client reads for an event the sink can never deliver (the reason is the dead-letter cause).
    static func sinkRejectionMessage(_ reason: String) -> String {
        "event could not be delivered (\(reason)); it was set aside as a dead letter"
    }

    func refusal(_ refusal: AdmissionRefusal, for request: Request?) -> HTTPResponse {
        .jsonError(refusal.status, refusal.message, headers: refusal.retryAfterHeaders)
    }

    /// `application/msgpack` or `application/x-msgpack`, parameters and case ignored.
    static func isMsgPack(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        let mediaType = String(contentType.split(separator: ";", maxSplits: 1).first ?? "").trimmingWhitespace().lowercased()
        return mediaType == "application/msgpack" || mediaType == "application/x-msgpack"
    }

    private static func refusal(_ error: IngestError) -> AdmissionRefusal {
        let reason: IngestRefusal = switch error {
        case .emptyBody: .emptyBody
        case .malformed: .malformed
        case .tooLarge: .decodedTooLarge
        case .unsupportedContentEncoding: .unsupportedEncoding
        case .tooManyFields, .eventTooLarge: .invalidEvent
        }
        return AdmissionRefusal(reason, HTTPStatus(code: error.status), error.message)
    }
}
