/// The outcome of one call as gRPC sends it in trailers: `grpc-status`, `grpc-message` (percent-encoded)
/// and, when there are details, `grpc-status-details-bin` (a base64 `google.rpc.Status`).
public struct GRPCStatus: Sendable, Equatable {
    public var code: GRPCStatusCode
    public var message: String
    /// When set, the client should retry after this long; sent as `google.rpc.RetryInfo` in the details,
    /// which the OTLP exporters honour for UNAVAILABLE and RESOURCE_EXHAUSTED.
    public var retryDelay: Duration?

    public init(_ code: GRPCStatusCode, _ message: String = "", retryDelay: Duration? = nil) {
        self.code = code
        self.message = message
        self.retryDelay = retryDelay
    }

    public static let ok = GRPCStatus(.ok)

    /// The trailer fields (lower-case names, as HTTP/2 requires).
    public var trailerFields: [(name: String, value: String)] {
        var fields = [(name: "grpc-status", value: String(code.rawValue))]
        if !message.isEmpty {
            fields.append((name: "grpc-message", value: GRPCPercentEncoding.encode(message)))
        }
        if let retryDelay {
            let details = GoogleRPCStatus.encode(code: code, message: message, retryDelay: retryDelay)
            fields.append((name: "grpc-status-details-bin", value: Base64.encodeUnpadded(details)))
        }
        return fields
    }
}
