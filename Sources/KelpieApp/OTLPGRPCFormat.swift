import EventModel
import GRPC
import HTTP1
import HTTPServer
import Ingest
import Pipeline

/// OTLP/gRPC as an ``IngestFormat``: the unary `Export` method of one signal's collector service. The
/// request is one length-prefixed protobuf message (compressed per `grpc-encoding`); the OTLP decoder and
/// mapping are the OTLP/HTTP ones. Every answer is HTTP 200 with a gRPC status: OK with the
/// `Export…ServiceResponse` (its `partial_success` when items were rejected), or a Trailers-Only refusal
/// mapped as the OTLP specification asks (docs/otlp.md), with `google.rpc.RetryInfo` when a retry helps.
struct OTLPGRPCFormat: OTLPSignalFormat {
    /// What screening found: the message and how it is compressed.
    struct Export: Sendable {
        var message: ArraySlice<UInt8>
        var encoding: ContentEncoding
    }

    let signal: OTLPSignal
    let decoder: OTLPDecoder
    /// The largest message accepted, compressed or not (the HTTP body limit).
    let maxMessageBytes: Int

    /// `/opentelemetry.proto.collector.trace.v1.TraceService/Export` and its logs and metrics siblings.
    static func servicePath(_ signal: OTLPSignal) -> String {
        switch signal {
        case .traces: "/opentelemetry.proto.collector.trace.v1.TraceService"
        case .logs: "/opentelemetry.proto.collector.logs.v1.LogsService"
        case .metrics: "/opentelemetry.proto.collector.metrics.v1.MetricsService"
        }
    }

    var missingKeyMessage: String { "missing 'x-honeycomb-team' metadata" }

    func screen(_ request: HTTPRequest) -> Result<Export, AdmissionRefusal> {
        guard request.protocolVersion == .http2 else {
            return .failure(AdmissionRefusal(.malformed, .httpVersionNotSupported, "gRPC needs HTTP/2"))
        }
        guard GRPCContentType.isProtobufGRPC(request.head.headers["content-type"]) else {
            return .failure(AdmissionRefusal(
                .unsupportedEncoding, .unsupportedMediaType, "OTLP/gRPC takes application/grpc (protobuf) only",
                grpcCode: GRPCStatusCode.invalidArgument.rawValue
            ))
        }
        // grpc-encoding names the same codecs as Content-Encoding (identity, gzip, zstd); deflate and
        // snappy are not read.
        guard let encoding = ContentEncoding(headerValue: request.head.headers["grpc-encoding"]) else {
            return .failure(AdmissionRefusal(
                .unsupportedEncoding, .unsupportedMediaType,
                "unsupported grpc-encoding; use one of \(GRPCEncoding.acceptedList)",
                grpcCode: GRPCStatusCode.unimplemented.rawValue
            ))
        }
        let message: GRPCMessage
        do {
            message = try GRPCMessageFraming.unaryMessage(in: request.body, maxMessageBytes: maxMessageBytes)
        } catch {
            return .failure(AdmissionRefusal(
                error.statusCode == .resourceExhausted ? .bodyTooLarge : .malformed,
                error.statusCode == .resourceExhausted ? .contentTooLarge : .badRequest, error.message,
                grpcCode: error.statusCode.rawValue
            ))
        }
        guard message.isCompressed else { return .success(Export(message: message.payload, encoding: .identity)) }
        guard encoding != .identity else {
            return .failure(AdmissionRefusal(
                .malformed, .badRequest, "message is marked compressed but no grpc-encoding was sent",
                grpcCode: GRPCStatusCode.invalidArgument.rawValue
            ))
        }
        return .success(Export(message: message.payload, encoding: encoding))
    }

    func authorize(_ export: Export, http: HTTPRequest, key: APIKeyEntry) -> Result<Export, AdmissionRefusal> {
        .success(export)
    }

    func content(_ export: Export, http: HTTPRequest) -> EncodedContent {
        EncodedContent(bytes: Array(export.message), encoding: export.encoding)
    }

    func decode(
        _ body: [UInt8], _ export: Export, http: HTTPRequest, key: APIKeyEntry, rawKey: String, receiveTimeNanos: Int64
    ) throws(AdmissionRefusal) -> OTLPDecodeResult {
        do {
            return try OTLPFormat(signal: signal, decoder: decoder).decode(
                body, .protobuf, http: http, key: key, rawKey: rawKey, receiveTimeNanos: receiveTimeNanos
            )
        } catch {
            var refusal = error
            // husky pairs a parse failure with INTERNAL on OTLP/HTTP; over gRPC the OTLP specification's
            // INVALID_ARGUMENT tells the exporter not to retry.
            if refusal.reason == .malformed { refusal.grpcCode = GRPCStatusCode.invalidArgument.rawValue }
            throw refusal
        }
    }

    func success(_ decoded: OTLPDecodeResult, _ export: Export, sinkRejected: [SinkRejection]) -> HTTPResponse {
        let partial = partialSuccess(decoded, sinkRejected: sinkRejected)
        let reply = OTLPResponseEncoder.success(
            signal: signal, encoding: .protobuf, rejected: partial.rejected, message: partial.message
        )
        return HTTPResponse(
            status: .ok,
            headers: [("content-type", GRPCContentType.response), ("grpc-accept-encoding", GRPCEncoding.acceptedList)],
            body: GRPCMessageFraming.frame(reply),
            trailers: GRPCStatus.ok.trailerFields.map { ($0.name, $0.value) }
        )
    }

    func refusal(_ refusal: AdmissionRefusal, for export: Export?) -> HTTPResponse {
        Self.trailersOnly(Self.status(for: refusal))
    }

    /// The gRPC status of a refusal, as the OTLP specification maps them: retryable overload is UNAVAILABLE
    /// and a rate limit RESOURCE_EXHAUSTED, both with RetryInfo (exporters retry RESOURCE_EXHAUSTED only
    /// with it); an oversized message RESOURCE_EXHAUSTED without; otherwise OTLP/HTTP's code for the status
    /// (UNAUTHENTICATED, PERMISSION_DENIED, INVALID_ARGUMENT), or the refusal's own.
    static func status(for refusal: AdmissionRefusal) -> GRPCStatus {
        let raw: Int32 = switch refusal.status.code {
        case HTTPStatus.tooManyRequests.code, HTTPStatus.contentTooLarge.code: GRPCStatusCode.resourceExhausted.rawValue
        default: refusal.grpcCode ?? OTLPFormat.grpcCode(for: refusal.status)
        }
        let code = GRPCStatusCode(rawValue: raw) ?? .unknown
        let retryable = code == .unavailable || refusal.status.code == HTTPStatus.tooManyRequests.code
        let details = retryable ? OTLPResponseEncoder.status(
            grpcCode: raw, message: refusal.message, encoding: .protobuf, retryDelaySeconds: refusal.retryAfterSeconds ?? 1
        ) : nil
        return GRPCStatus(code, refusal.message, details: details)
    }

    /// One HEADERS frame carrying the status: gRPC's Trailers-Only answer.
    static func trailersOnly(_ status: GRPCStatus) -> HTTPResponse {
        HTTPResponse(
            status: .ok,
            headers: [("content-type", GRPCContentType.response), ("grpc-accept-encoding", GRPCEncoding.acceptedList)]
                + status.trailerFields.map { ($0.name, $0.value) }
        )
    }
}
