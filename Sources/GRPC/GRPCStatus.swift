/// The outcome of one call as gRPC sends it in trailers: `grpc-status`, `grpc-message` (percent-encoded)
/// and, when there are details, `grpc-status-details-bin` (the bytes of a `google.rpc.Status`, base64).
public struct GRPCStatus: Sendable, Equatable {
    public var code: GRPCStatusCode
    public var message: String
    /// An encoded `google.rpc.Status` repeating code and message with details, such as the
    /// `google.rpc.RetryInfo` that tells an OTLP exporter when to retry; nil for none.
    public var details: [UInt8]?

    public init(_ code: GRPCStatusCode, _ message: String = "", details: [UInt8]? = nil) {
        self.code = code
        self.message = message
        self.details = details
    }

    public static let ok = GRPCStatus(.ok)

    /// The trailer fields (lower-case names, as HTTP/2 requires).
    public var trailerFields: [(name: String, value: String)] {
        var fields = [(name: "grpc-status", value: String(code.rawValue))]
        if !message.isEmpty {
            fields.append((name: "grpc-message", value: GRPCPercentEncoding.encode(message)))
        }
        if let details {
            fields.append((name: "grpc-status-details-bin", value: Base64.encodeUnpadded(details)))
        }
        return fields
    }
}
