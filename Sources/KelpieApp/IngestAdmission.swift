import EventModel
import HTTP1
import HTTPServer
import Ingest
import Pipeline
import SelfTelemetry

#if canImport(Glibc)
import Glibc
#endif

/// The one admission sequence every ingest route runs, whatever its format:
/// screen → authenticate → authorize → preview admission → decode content → decode format → rate limit →
/// submit → answer.
/// Every refusal is counted once, under its reason, and answered in the format's own encoding. The answer
/// to a stored request is built on the connection's lane when the pipeline acknowledges (after fdatasync
/// with `--ack=durable`); the WAL writer only completes a ``PendingResponse``.
///
/// With self-telemetry on (`describesRequests`), each answer also carries the request's ``IngestFacts`` as
/// its observation: what each step learned, and how long decoding and the durability wait took.
final class IngestAdmission: Sendable {
    private let pipeline: EventPipeline
    private let metrics: KelpieMetrics
    private let keys: APIKeyStore
    private let maxDecodedBodyBytes: Int
    private let rateLimiter: KeyRateLimiter
    /// `--rate-limit-events`/`--rate-limit-burst`: the limit of keys without their own `rate_limit`.
    private let defaultRateLimit: RateLimit?
    private let describesRequests: Bool
    /// Decoded bodies are charged here from decoding until the pipeline has acknowledged them (the
    /// connection charged and released the wire bytes).
    private let memoryBudget: MemoryBudget

    static let unknownKeyMessage = "unknown API key - check your credentials"
    /// Honeycomb's text for a 429 (the lowercase form its clients' test servers use).
    static let rateLimitedMessage = "request dropped due to rate limiting"
    /// No key at all: say so (the same text Honeycomb's OTLP endpoint uses), rather than "unknown".
    static let missingKeyMessage = "missing 'x-honeycomb-team' header"

    init(
        pipeline: EventPipeline, metrics: KelpieMetrics, keys: APIKeyStore, maxDecodedBodyBytes: Int,
        rateLimiter: KeyRateLimiter = KeyRateLimiter(), defaultRateLimit: RateLimit? = nil,
        describesRequests: Bool = false, memoryBudget: MemoryBudget
    ) {
        self.pipeline = pipeline
        self.metrics = metrics
        self.keys = keys
        self.maxDecodedBodyBytes = maxDecodedBodyBytes
        self.rateLimiter = rateLimiter
        self.defaultRateLimit = defaultRateLimit
        self.describesRequests = describesRequests
        self.memoryBudget = memoryBudget
    }

    /// Runs the sequence for one request; runs on the connection's lane.
    func answer<Format: IngestFormat>(_ request: HTTPRequest, as format: Format) -> RouteAnswer {
        // nil unless self-telemetry is on: then every `facts?.` below is skipped.
        let facts: IngestFacts? = describesRequests ? IngestFacts() : nil
        let screened: Format.Request
        switch format.screen(request) {
        case .success(let value): screened = value
        case .failure(let refusal): return .now(refuse(refusal, format, nil, facts))
        }
        facts?.format = format.metricsLabel(screened)
        facts?.dataset = request.parameters["dataset"]
        do throws(AdmissionRefusal) {
            let (entry, rawKey) = try authenticate(request, missingKeyMessage: format.missingKeyMessage)
            facts?.keyID = entry.keyID
            let authorized = try format.authorize(screened, http: request, key: entry).get()
            try previewAdmission(request)
            if let facts { facts.decodeStartedAt = .now }
            let content = format.content(authorized, http: request)
            facts?.bodyBytes = content.bytes.count
            facts?.contentEncoding = content.encoding.map(Self.encodingName)
            let body = try decodeContent(content)
            facts?.decodedBytes = body.count
            let charged = try chargeDecoded(body.count, inPlace: content.encoding == .identity)
            do throws(AdmissionRefusal) {
                let decoded = try format.decode(
                    body, authorized, http: request, key: entry, rawKey: rawKey, receiveTimeNanos: Self.nowUnixNanos()
                )
                // The end of decoding is also where the durability wait starts (handing over the batches is next).
                if let facts { facts.decodedAt = .now }
                let rejected = format.rejectedEvents(of: decoded)
                if rejected.count > 0 { metrics.recordRejectedEvents(reason: rejected.reason, count: rejected.count) }
                facts?.eventsRejected = rejected.count
                let batches = format.batches(of: decoded).filter { !$0.events.isEmpty }
                if facts?.dataset == nil { facts?.dataset = batches.first?.dataset }
                guard !batches.isEmpty else {
                    memoryBudget.release(charged, endsHold: true)
                    var response = format.success(decoded, authorized, sinkRejected: [])
                    if let facts { response.observation = facts }
                    return .now(response)
                }
                let charge = try chargeRate(entry, events: batches.reduce(0) { $0 + $1.events.count })
                return submit(batches, decoded, authorized, format, facts, charge: charge, charged: charged)
            } catch {
                memoryBudget.release(charged, endsHold: true)
                throw error
            }
        } catch {
            if let facts, facts.decodeStartedAt != nil, facts.decodedAt == nil { facts.decodedAt = .now }
            return .now(refuse(error, format, screened, facts))
        }
    }

    // MARK: steps

    /// The key must be known and allowed to send events: 401 or 403 otherwise.
    private func authenticate(_ request: HTTPRequest, missingKeyMessage: String) throws(AdmissionRefusal) -> (APIKeyEntry, String) {
        guard let key = Self.apiKey(request.head.headers) else {
            throw AdmissionRefusal(.unauthorized, .unauthorized, missingKeyMessage)
        }
        guard case .admitted(let entry) = keys.authenticate(key) else {
            throw AdmissionRefusal(.unauthorized, .unauthorized, Self.unknownKeyMessage)
        }
        guard entry.sendEvents else {
            throw AdmissionRefusal(.forbidden, .forbidden, "API key is not permitted to send events")
        }
        return (entry, key)
    }

    /// When the pipeline would refuse anyway (queue full, stopping), say so before decoding: under overload
    /// the CPU is better spent on requests that can be admitted. The wire size stands in for the encoded size.
    private func previewAdmission(_ request: HTTPRequest) throws(AdmissionRefusal) {
        if let refusal = Self.refusal(pipeline.admissionPreview(estimatedBytes: request.body.count)) { throw refusal }
    }

    /// Undoes the content's encoding (`Content-Encoding`, or gRPC's `grpc-encoding`) with the decoded-size cap.
    private func decodeContent(_ content: EncodedContent) throws(AdmissionRefusal) -> [UInt8] {
        guard let encoding = content.encoding else {
            throw AdmissionRefusal(
                .unsupportedEncoding, .unsupportedMediaType, "unsupported Content-Encoding; use gzip, zstd or none"
            )
        }
        do {
            let body = try ContentDecoder.decode(content.bytes, encoding: encoding, maxDecodedBytes: maxDecodedBodyBytes)
            metrics.recordBytes(wire: content.bytes.count, decoded: body.count)
            return body
        } catch {
            switch error {
            case .tooLarge:
                throw AdmissionRefusal(.decodedTooLarge, .contentTooLarge, "Request body is too large.")
            case .malformed:
                throw AdmissionRefusal(.malformed, .badRequest, "Request body is malformed and cannot be read.")
            }
        }
    }

    /// Charges the decoded body to the memory budget; returns the bytes to release once the pipeline has it.
    /// An identity body is the wire buffer itself, already counted by the connection, which releases its
    /// charge when this route returns: charged whatever the total, so the count never misses it. A body
    /// gzip or zstd produced is new memory: no room, no admission (503 with `Retry-After`).
    private func chargeDecoded(_ bytes: Int, inPlace: Bool) throws(AdmissionRefusal) -> Int {
        if inPlace {
            memoryBudget.forceCharge(bytes)
            return bytes
        }
        guard memoryBudget.tryReserve(bytes) else {
            metrics.memoryBudgetRefused()
            throw AdmissionRefusal(
                .memoryBudget, .serviceUnavailable, "server is at its memory budget; retry later", retryAfterSeconds: 1
            )
        }
        return bytes
    }

    /// Tokens taken from a key's bucket, given back when the pipeline refuses the request after all.
    struct RateCharge {
        var key: APIKeyDigest
        var events: Int
    }

    /// The key's token bucket takes the request's events (the ones to store), or the whole request is
    /// refused with 429 and when to retry. Nil when the key has no limit.
    private func chargeRate(_ entry: APIKeyEntry, events: Int) throws(AdmissionRefusal) -> RateCharge? {
        guard let limit = entry.rateLimit.resolved(default: defaultRateLimit) else { return nil }
        switch rateLimiter.take(events, key: entry.digest, limit: limit) {
        case .admitted:
            return RateCharge(key: entry.digest, events: events)
        case .refused(let retryAfterSeconds):
            metrics.recordRateLimited(keyID: entry.keyID, events: events)
            throw AdmissionRefusal(.rateLimited, .tooManyRequests, Self.rateLimitedMessage, retryAfterSeconds: retryAfterSeconds)
        }
    }

    /// Hands the batches to the pipeline as one submission. The completion (on the WAL writer's thread)
    /// only completes the pending answer; counting and the reply body happen on the connection's lane.
    private func submit<Format: IngestFormat>(
        _ batches: [EventBatch], _ decoded: Format.Decoded, _ request: Format.Request, _ format: Format,
        _ facts: IngestFacts?, charge: RateCharge?, charged: Int
    ) -> RouteAnswer {
        let pending = PendingResponse()
        let metrics = self.metrics
        let memoryBudget = self.memoryBudget
        let admission = pipeline.submit(batches) { result in
            // The pipeline has the lines (stored, or failed): the decoded body is no longer waiting on it.
            memoryBudget.release(charged, endsHold: true)
            switch result {
            case .success(let receipt):
                pending.complete {
                    let label = format.metricsLabel(request)
                    // Events the sink rejected (ack=delivered) are answered as errors, not counted accepted.
                    let rejectedIndices = Set(receipt.rejected.map(\.eventIndex))
                    var first = 0
                    for batch in batches {
                        let range = first..<first + batch.events.count
                        first = range.upperBound
                        let rejected = rejectedIndices.isEmpty ? 0 : rejectedIndices.count { range.contains($0) }
                        metrics.recordAccepted(events: batch.events.count - rejected, format: label, dataset: batch.dataset)
                    }
                    var response = format.success(decoded, request, sinkRejected: receipt.rejected)
                    if let facts {
                        facts.storedAt = .now
                        facts.eventsAccepted = first - rejectedIndices.count
                        facts.eventsRejected += rejectedIndices.count
                        response.observation = facts
                    }
                    return response
                }
            case .failure:
                pending.complete {
                    let refusal = AdmissionRefusal(
                        .walWriteFailed, .serviceUnavailable, "events could not be stored; retry later", retryAfterSeconds: 1
                    )
                    metrics.recordRefusal(refusal.reason)
                    var response = format.refusal(refusal, for: request)
                    if let facts {
                        facts.storedAt = .now
                        facts.refusal = refusal.reason.rawValue
                        response.observation = facts
                    }
                    return response
                }
            }
        }
        if let refusal = Self.refusal(admission) {
            memoryBudget.release(charged, endsHold: true)  // refused: the completion never runs
            if let charge { rateLimiter.giveBack(charge.events, key: charge.key) }
            return .now(refuse(refusal, format, request, facts))
        }
        return .later(pending)
    }

    private func refuse<Format: IngestFormat>(
        _ refusal: AdmissionRefusal, _ format: Format, _ request: Format.Request?, _ facts: IngestFacts?
    ) -> HTTPResponse {
        metrics.recordRefusal(refusal.reason)
        var response = format.refusal(refusal, for: request)
        if let facts {
            facts.refusal = refusal.reason.rawValue
            response.observation = facts
        }
        return response
    }

    /// The `content_encoding` self-telemetry reports.
    private static func encodingName(_ encoding: ContentEncoding) -> String {
        switch encoding {
        case .identity: "identity"
        case .gzip: "gzip"
        case .zstd: "zstd"
        }
    }

    /// The refusal for a pipeline's admission answer, nil when admitted.
    private static func refusal(_ admission: AdmissionResult) -> AdmissionRefusal? {
        switch admission {
        case .accepted:
            nil
        case .queueFull(let retryAfterSeconds):
            AdmissionRefusal(
                .queueFull, .serviceUnavailable, "server is at capacity; retry later", retryAfterSeconds: retryAfterSeconds
            )
        case .stopped:
            AdmissionRefusal(.draining, .serviceUnavailable, "server is shutting down; retry later", retryAfterSeconds: 1)
        }
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
