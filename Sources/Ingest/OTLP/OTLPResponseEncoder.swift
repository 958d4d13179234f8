import EventModel
/// OTLP/HTTP response bodies, in the request's encoding.
public enum OTLPResponseEncoder {
    /// The 200 body: an empty `Export{Trace,Logs,Metrics}ServiceResponse`, or one whose `partial_success`
    /// carries `rejected_spans` / `rejected_log_records` / `rejected_data_points` and `error_message`
    /// when `rejected > 0` or a message is given (a warning). Protobuf: field 1 holding fields 1 (int64)
    /// and 2 (string); an empty response is zero bytes. JSON: `{}` or
    /// `{"partialSuccess":{"rejectedSpans":"2","errorMessage":"…"}}` (int64 as a string, proto3 JSON).
    public static func success(signal: OTLPSignal, encoding: OTLPEncoding, rejected: Int, message: String?) -> [UInt8] {
        let message = message ?? ""
        guard rejected > 0 || !message.isEmpty else {
            return encoding == .json ? Array("{}".utf8) : []
        }
        switch encoding {
        case .protobuf:
            var partial: [UInt8] = []
            if rejected > 0 {
                partial.append(0x08)
                appendVarint(UInt64(rejected), to: &partial)
            }
            appendStringField(2, message, to: &partial)
            var body: [UInt8] = [0x0a]
            appendVarint(UInt64(partial.count), to: &body)
            body.append(contentsOf: partial)
            return body
        case .json:
            let countKey = switch signal {
            case .traces: "rejectedSpans"
            case .logs: "rejectedLogRecords"
            case .metrics: "rejectedDataPoints"
            }
            var fields: [String] = []
            if rejected > 0 { fields.append("\"\(countKey)\":\"\(rejected)\"") }
            if !message.isEmpty { fields.append("\"errorMessage\":" + jsonString(message)) }
            return Array(("{\"partialSuccess\":{" + fields.joined(separator: ",") + "}}").utf8)
        }
    }

    /// A `google.rpc.Status` body: `code` (field 1, int32; left out when 0 as proto3 does) and
    /// `message` (field 2). JSON: `{"code":3,"message":"…"}`. With `retryDelaySeconds` (protobuf only: gRPC's
    /// `grpc-status-details-bin`) one detail follows in field 3: a `google.protobuf.Any` holding
    /// `google.rpc.RetryInfo{retry_delay: Duration{seconds}}`, which OTLP exporters honour.
    public static func status(grpcCode: Int32, message: String, encoding: OTLPEncoding, retryDelaySeconds: Int? = nil) -> [UInt8] {
        switch encoding {
        case .protobuf:
            var body: [UInt8] = []
            if grpcCode != 0 {
                body.append(0x08)
                // Negative int32 values are sign-extended to ten bytes, as protobuf encodes them.
                appendVarint(UInt64(bitPattern: Int64(grpcCode)), to: &body)
            }
            appendStringField(2, message, to: &body)
            if let retryDelaySeconds {
                var duration: [UInt8] = []
                if retryDelaySeconds != 0 {
                    duration.append(0x08)
                    appendVarint(UInt64(bitPattern: Int64(retryDelaySeconds)), to: &duration)
                }
                var retryInfo: [UInt8] = []
                appendBytesField(1, duration, to: &retryInfo)
                var any: [UInt8] = []
                appendBytesField(1, Array(retryInfoTypeURL.utf8), to: &any)
                appendBytesField(2, retryInfo, to: &any)
                appendBytesField(3, any, to: &body)
            }
            return body
        case .json:
            var fields: [String] = []
            if grpcCode != 0 { fields.append("\"code\":\(grpcCode)") }
            if !message.isEmpty { fields.append("\"message\":" + jsonString(message)) }
            return Array(("{" + fields.joined(separator: ",") + "}").utf8)
        }
    }

    /// `application/x-protobuf` or `application/json`.
    public static func contentType(_ encoding: OTLPEncoding) -> String {
        switch encoding {
        case .protobuf: "application/x-protobuf"
        case .json: "application/json"
        }
    }

    private static func appendVarint(_ value: UInt64, to bytes: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7f) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    static let retryInfoTypeURL = "type.googleapis.com/google.rpc.RetryInfo"

    /// A length-delimited field, written even when empty (an embedded message must be present).
    private static func appendBytesField(_ field: UInt8, _ value: [UInt8], to bytes: inout [UInt8]) {
        bytes.append(field << 3 | 2)
        appendVarint(UInt64(value.count), to: &bytes)
        bytes.append(contentsOf: value)
    }

    private static func appendStringField(_ field: UInt8, _ text: String, to bytes: inout [UInt8]) {
        guard !text.isEmpty else { return }
        let utf8 = Array(text.utf8)
        bytes.append(field << 3 | 2)
        appendVarint(UInt64(utf8.count), to: &bytes)
        bytes.append(contentsOf: utf8)
    }

    private static func jsonString(_ text: String) -> String {
        var buffer = ByteBuffer(capacity: text.utf8.count + 16)
        defer { buffer.deallocate() }
        var text = text
        buffer.append(UInt8(ascii: "\""))
        text.withUTF8 { utf8 in
            if let base = utf8.baseAddress { JSONText.appendEscaped(base, count: utf8.count, into: &buffer) }
        }
        buffer.append(UInt8(ascii: "\""))
        return String(decoding: buffer.makeArray(), as: UTF8.self)
    }
}
