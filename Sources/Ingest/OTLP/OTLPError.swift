/// Whole-request OTLP failures, with husky's statuses and texts. No event of the request is kept.
public enum OTLPError: Error, Sendable, Equatable {
    /// 400 "failed to parse OTLP request body": not a valid protobuf or OTLP/JSON message of the
    /// signal's request type (truncated, overlong lengths, wrong wire types, bad JSON, bad hex ids…).
    case malformed
    /// 401 "missing 'x-honeycomb-dataset' header": a classic key on traces or metrics without the header.
    case missingDatasetHeader

    public var status: Int {
        switch self {
        case .malformed: 400
        case .missingDatasetHeader: 401
        }
    }

    public var message: String {
        switch self {
        case .malformed: "failed to parse OTLP request body"
        case .missingDatasetHeader: "missing 'x-honeycomb-dataset' header"
        }
    }

    /// The gRPC code husky pairs with the error (Internal for parse failures, Unauthenticated for the
    /// header); goes into the `google.rpc.Status` body.
    public var grpcCode: Int32 {
        switch self {
        case .malformed: 13
        case .missingDatasetHeader: 16
        }
    }
}
