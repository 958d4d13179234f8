/// A message compression named by `grpc-encoding` (grpc/doc/compression.md). The OTel exporters send
/// `gzip` (the Collector's default) or none; `zstd` comes from Collectors configured for it.
public enum GRPCEncoding: String, Sendable, Equatable {
    case identity
    case gzip
    case zstd

    /// What the server announces in `grpc-accept-encoding`.
    public static let acceptedList = "identity,gzip,zstd"

    /// Parses `grpc-encoding`: absent or empty means identity; case and surrounding spaces are ignored.
    /// nil for anything else (deflate, snappy, …): answered UNIMPLEMENTED with the accepted list.
    public init?(headerValue: String?) {
        guard let headerValue else {
            self = .identity
            return
        }
        var value = Substring(headerValue.lowercased())
        while value.first == " " || value.first == "\t" { value.removeFirst() }
        while value.last == " " || value.last == "\t" { value.removeLast() }
        if value.isEmpty {
            self = .identity
            return
        }
        guard let encoding = GRPCEncoding(rawValue: String(value)) else { return nil }
        self = encoding
    }
}
