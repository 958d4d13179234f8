import GRPC
import HTTPServer
import Ingest

/// The Honeycomb Events API routes, `/1/batch/{dataset}` and `/1/events/{dataset}`, and the OTLP/HTTP
/// routes, `/v1/traces`, `/v1/logs` and `/v1/metrics`: each is one ``IngestFormat`` run through the shared
/// ``IngestAdmission`` steps.
struct IngestRoutes: Sendable {
    let admission: IngestAdmission
    let decoder: HoneycombDecoder
    let otlpDecoder: OTLPDecoder
    let maxEventBodyBytes: Int

    var honeycombRoutes: [Route] {
        let batch = HoneycombFormat(endpoint: .batch, decoder: decoder, maxEventBodyBytes: maxEventBodyBytes)
        let single = HoneycombFormat(endpoint: .single, decoder: decoder, maxEventBodyBytes: maxEventBodyBytes)
        return [
            Route(.post, "/1/batch/{dataset}") { [admission] request in admission.answer(request, as: batch) },
            Route(.post, "/1/events/{dataset}") { [admission] request in admission.answer(request, as: single) },
        ]
    }

    var otlpRoutes: [Route] {
        [OTLPSignal.traces, .logs, .metrics].map { signal in
            let format = OTLPFormat(signal: signal, decoder: otlpDecoder)
            return Route(.post, "/v1/\(signal.rawValue)") { [admission] request in admission.answer(request, as: format) }
        }
    }

    /// OTLP/gRPC: `/opentelemetry.proto.collector.<signal>.v1.<Service>/{method}` for the three services;
    /// `Export` is the one method, any other is UNIMPLEMENTED (unknown services are, one level down).
    func grpcRoutes(maxMessageBytes: Int) -> [Route] {
        [OTLPSignal.traces, .logs, .metrics].map { signal in
            let format = OTLPGRPCFormat(signal: signal, decoder: otlpDecoder, maxMessageBytes: maxMessageBytes)
            let service = OTLPGRPCFormat.servicePath(signal)
            return Route(.post, "\(service)/{method}") { [admission] request in
                guard request.parameters["method"] == "Export" else {
                    return .now(OTLPGRPCFormat.trailersOnly(GRPCStatus(
                        .unimplemented, "unknown method \(request.parameters["method"] ?? "") of \(service.dropFirst())"
                    )))
                }
                return admission.answer(request, as: format)
            }
        }
    }
}
