/// The request formats kelpie-load can send.
public enum PayloadKind: String, Sendable, CaseIterable {
    /// `POST /1/events/{dataset}`, one JSON object.
    case singleJSON = "single-json"
    /// `POST /1/batch/{dataset}`, JSON array of `{"time","samplerate","data"}`.
    case batchJSON = "batch-json"
    /// `POST /1/batch/{dataset}`, msgpack array of maps with data/samplerate/time (ext −1).
    case batchMsgPack = "batch-msgpack"
    /// `POST /v1/traces`, OTLP `ExportTraceServiceRequest` protobuf.
    case otlpTraces = "otlp-traces"

    public var contentType: String {
        switch self {
        case .singleJSON, .batchJSON: return "application/json"
        case .batchMsgPack: return "application/msgpack"
        case .otlpTraces: return "application/x-protobuf"
        }
    }

    /// Request path (after any base path of the target URL).
    public func path(dataset: String) -> String {
        switch self {
        case .singleJSON: return "/1/events/" + dataset
        case .batchJSON, .batchMsgPack: return "/1/batch/" + dataset
        case .otlpTraces: return "/v1/traces"
        }
    }

    /// Batch replies carry one status per event.
    public var hasPerEventReplies: Bool { self == .batchJSON || self == .batchMsgPack }

    public var defaultBatchSize: Int {
        switch self {
        case .singleJSON: return 1
        case .batchJSON, .batchMsgPack: return 100
        case .otlpTraces: return 512
        }
    }
}
