/// The request `content-type` of gRPC: `application/grpc`, optionally `+proto` and parameters.
/// Anything else (including `application/grpc+json`, which OTLP does not define) is not a gRPC request
/// this server reads; gRPC answers it with HTTP 415.
public enum GRPCContentType {
    public static let response = "application/grpc"

    /// Any gRPC request (`application/grpc`, `application/grpc+…`): answered with gRPC statuses.
    public static func isGRPC(_ value: String?) -> Bool {
        guard let value else { return false }
        let lower = value.lowercased()
        return lower.hasPrefix("application/grpc") && (lower.count == 16 || [";", "+", " "].contains(lower.dropFirst(16).first!))
    }

    /// The gRPC content types whose messages are protobuf (the only ones OTLP defines).
    public static func isProtobufGRPC(_ value: String?) -> Bool {
        guard let value else { return false }
        let mediaType = value.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let trimmed = mediaType.lowercased().filter { $0 != " " && $0 != "\t" }
        return trimmed == "application/grpc" || trimmed == "application/grpc+proto"
    }
}
