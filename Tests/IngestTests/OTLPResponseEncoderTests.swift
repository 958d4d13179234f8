import Ingest
import Testing

/// Response bodies, decoded by hand (protobuf) or compared as exact text (JSON).
@Suite struct OTLPResponseEncoderTests {
    @Test func fullSuccessIsAnEmptyMessage() {
        for signal in OTLPSignal.allCases {
            #expect(OTLPResponseEncoder.success(signal: signal, encoding: .protobuf, rejected: 0, message: nil) == [])
            #expect(OTLPResponseEncoder.success(signal: signal, encoding: .json, rejected: 0, message: nil) == Array("{}".utf8))
        }
    }

    @Test func partialSuccessProtobuf() {
        let body = OTLPResponseEncoder.success(signal: .traces, encoding: .protobuf, rejected: 300, message: "too big")
        // field 1 (partial_success), length 12: field 1 varint 300 (0xac 0x02), field 2 "too big".
        #expect(body == [0x0a, 12, 0x08, 0xac, 0x02, 0x12, 7] + Array("too big".utf8))
        let warning = OTLPResponseEncoder.success(signal: .logs, encoding: .protobuf, rejected: 0, message: "w")
        #expect(warning == [0x0a, 3, 0x12, 1, UInt8(ascii: "w")])
    }

    @Test func partialSuccessJSON() {
        func text(_ signal: OTLPSignal, _ rejected: Int, _ message: String?) -> String {
            String(decoding: OTLPResponseEncoder.success(signal: signal, encoding: .json, rejected: rejected, message: message), as: UTF8.self)
        }
        #expect(text(.traces, 2, "a \"b\"") == #"{"partialSuccess":{"rejectedSpans":"2","errorMessage":"a \"b\""}}"#)
        #expect(text(.logs, 1, nil) == #"{"partialSuccess":{"rejectedLogRecords":"1"}}"#)
        #expect(text(.metrics, 3, "m") == #"{"partialSuccess":{"rejectedDataPoints":"3","errorMessage":"m"}}"#)
    }

    @Test func statusWithRetryInfoDetail() {
        // google.rpc.Status{code=14, message="x", details=[Any{type_url, RetryInfo{retry_delay{seconds=2}}}]}
        let typeURL = Array("type.googleapis.com/google.rpc.RetryInfo".utf8)
        let retryInfo: [UInt8] = [0x0a, 0x02, 0x08, 0x02]
        let any: [UInt8] = [0x0a, UInt8(typeURL.count)] + typeURL + [0x12, UInt8(retryInfo.count)] + retryInfo
        let expected: [UInt8] = [0x08, 14, 0x12, 0x01, UInt8(ascii: "x"), 0x1a, UInt8(any.count)] + any
        #expect(OTLPResponseEncoder.status(grpcCode: 14, message: "x", encoding: .protobuf, retryDelaySeconds: 2) == expected)
        // A zero delay is an empty Duration, still present.
        let zero = OTLPResponseEncoder.status(grpcCode: 8, message: "", encoding: .protobuf, retryDelaySeconds: 0)
        #expect(zero.suffix(4) == [0x12, 0x02, 0x0a, 0x00])
    }

    @Test func statusBodies() {
        let message = "failed to parse OTLP request body"
        let protobuf = OTLPResponseEncoder.status(grpcCode: 13, message: message, encoding: .protobuf)
        #expect(protobuf == [0x08, 13, 0x12, UInt8(message.utf8.count)] + Array(message.utf8))
        let json = OTLPResponseEncoder.status(grpcCode: 3, message: "bad\nline", encoding: .json)
        #expect(String(decoding: json, as: UTF8.self) == #"{"code":3,"message":"bad\nline"}"#)
        #expect(OTLPResponseEncoder.status(grpcCode: 0, message: "m", encoding: .protobuf) == [0x12, 1, UInt8(ascii: "m")])
        let negative = OTLPResponseEncoder.status(grpcCode: -1, message: "", encoding: .protobuf)
        #expect(negative == [0x08] + Array(repeating: 0xff, count: 9) + [0x01])
        #expect(OTLPResponseEncoder.contentType(.protobuf) == "application/x-protobuf")
        #expect(OTLPResponseEncoder.contentType(.json) == "application/json")
    }
}
