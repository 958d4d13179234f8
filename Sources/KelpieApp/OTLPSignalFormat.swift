import EventModel
import Ingest
import Pipeline

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

    /// What `partial_success` reports: items the decoder refused, plus events the sink dead-lettered
    /// (ack=delivered; one event per span, log record or data point, so they count as rejected items).
    func partialSuccess(_ decoded: OTLPDecodeResult, sinkRejected: [SinkRejection]) -> (rejected: Int, message: String?) {
        guard !sinkRejected.isEmpty else { return (decoded.rejectedItems, decoded.rejectionMessage) }
        let reasons = Set(sinkRejected.map(\.reason)).sorted().joined(separator: ", ")
        let sinkMessage = "\(sinkRejected.count) could not be delivered (\(reasons)) and were set aside as dead letters"
        return (decoded.rejectedItems + sinkRejected.count, decoded.rejectionMessage.map { "\($0); \(sinkMessage)" } ?? sinkMessage)
    }
}
