/// Protobuf encoding of `google.rpc.Status` carrying one `google.rpc.RetryInfo` detail, for
/// `grpc-status-details-bin`:
///
///     Status    { int32 code = 1; string message = 2; repeated google.protobuf.Any details = 3; }
///     Any       { string type_url = 1; bytes value = 2; }
///     RetryInfo { google.protobuf.Duration retry_delay = 1; }
///     Duration  { int64 seconds = 1; int32 nanos = 2; }
enum GoogleRPCStatus {
    static let retryInfoTypeURL = "type.googleapis.com/google.rpc.RetryInfo"

    static func encode(code: GRPCStatusCode, message: String, retryDelay: Duration) -> [UInt8] {
        let (seconds, attoseconds) = retryDelay.components
        var duration: [UInt8] = []
        if seconds != 0 { appendVarintField(1, UInt64(bitPattern: seconds), to: &duration) }
        let nanos = attoseconds / 1_000_000_000
        if nanos != 0 { appendVarintField(2, UInt64(bitPattern: nanos), to: &duration) }
        var retryInfo: [UInt8] = []
        appendBytesField(1, duration, to: &retryInfo)
        var any: [UInt8] = []
        appendBytesField(1, Array(retryInfoTypeURL.utf8), to: &any)
        appendBytesField(2, retryInfo, to: &any)
        var status: [UInt8] = []
        if code != .ok { appendVarintField(1, UInt64(bitPattern: Int64(code.rawValue)), to: &status) }
        if !message.isEmpty { appendBytesField(2, Array(message.utf8), to: &status) }
        appendBytesField(3, any, to: &status)
        return status
    }

    private static func appendVarintField(_ field: UInt8, _ value: UInt64, to bytes: inout [UInt8]) {
        bytes.append(field << 3)
        appendVarint(value, to: &bytes)
    }

    /// A length-delimited field (wire type 2); written even when empty, as an embedded message must be.
    private static func appendBytesField(_ field: UInt8, _ value: [UInt8], to bytes: inout [UInt8]) {
        bytes.append(field << 3 | 2)
        appendVarint(UInt64(value.count), to: &bytes)
        bytes.append(contentsOf: value)
    }

    private static func appendVarint(_ value: UInt64, to bytes: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7f) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }
}
