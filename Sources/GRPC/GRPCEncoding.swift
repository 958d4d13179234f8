/// Message compression (grpc/doc/compression.md). The server reads `grpc-encoding` `identity`, `gzip` (the
/// Collector's default) and `zstd` with the same decoders as `Content-Encoding`, and announces them in
/// `grpc-accept-encoding`; anything else is answered UNIMPLEMENTED with this list.
public enum GRPCEncoding {
    public static let acceptedList = "identity,gzip,zstd"
}
