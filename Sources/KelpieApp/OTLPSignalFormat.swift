import EventModel
import Ingest

/// What the OTLP formats share whatever carries them (OTLP/HTTP, OTLP/gRPC): one signal, the OTLP decoder's
/// result, items rejected one by one counted as `otlp_item_rejected`, events counted as `otlp_<signal>`.
protocol OTLPSignalFormat: IngestFormat where Decoded == OTLPDecodeResult {
    var signal: OTLPSignal { get }
}

extension OTLPSignalFormat {
    func batches(of decoded: OTLPDecodeResult) -> [EventBatch] { decoded.batches }

    func rejectedEvents(of decoded: OTLPDecodeResult) -> (reason: String, count: Int) {
        ("otlp_item_rejected", decoded.rejectedItems)
    }

    func metricsLabel(_ request: Request) -> String { "otlp_\(signal.rawValue)" }
}
