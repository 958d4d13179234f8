@testable import GRPC
import Testing

@Suite struct GRPCStatusTests {
    @Test func okCarriesOnlyTheStatus() {
        #expect(GRPCStatus.ok.trailerFields.map { "\($0.name)=\($0.value)" } == ["grpc-status=0"])
    }

    @Test func messageIsPercentEncoded() {
        let fields = GRPCStatus(.invalidArgument, "bad 100% \u{e9}\n").trailerFields
        #expect(fields.map { "\($0.name)=\($0.value)" } == ["grpc-status=3", "grpc-message=bad 100%25 %C3%A9%0A"])
    }

    @Test func percentEncodingRoundTripsAndKeepsStrayPercents() {
        let text = "kö%nnte\t nicht ~ 日本"
        #expect(GRPCPercentEncoding.decode(GRPCPercentEncoding.encode(text)) == text)
        #expect(GRPCPercentEncoding.decode("50%") == "50%")
        #expect(GRPCPercentEncoding.decode("%zz%4") == "%zz%4")
    }

    @Test func retryDelayAddsStatusDetailsWithRetryInfo() {
        let fields = GRPCStatus(.unavailable, "x", retryDelay: .seconds(2)).trailerFields
        #expect(fields.count == 3)
        #expect(fields[2].name == "grpc-status-details-bin")
        // google.rpc.Status{code=14, message="x", details=[Any{type_url, RetryInfo{retry_delay{seconds=2}}}]}
        let typeURL = Array("type.googleapis.com/google.rpc.RetryInfo".utf8)
        let retryInfo: [UInt8] = [0x0a, 0x02, 0x08, 0x02]
        let any: [UInt8] = [0x0a, UInt8(typeURL.count)] + typeURL + [0x12, UInt8(retryInfo.count)] + retryInfo
        let status: [UInt8] = [0x08, 14, 0x12, 0x01, UInt8(ascii: "x"), 0x1a, UInt8(any.count)] + any
        #expect(GoogleRPCStatus.encode(code: .unavailable, message: "x", retryDelay: .seconds(2)) == status)
        #expect(fields[2].value == Base64.encodeUnpadded(status))
    }

    @Test func subSecondDelaysUseNanos() {
        let encoded = GoogleRPCStatus.encode(code: .resourceExhausted, message: "", retryDelay: .milliseconds(1500))
        // Duration{seconds=1, nanos=500000000}
        let duration: [UInt8] = [0x08, 0x01, 0x10, 0x80, 0xca, 0xb5, 0xee, 0x01]
        #expect(encoded.suffix(duration.count) == duration[...])
    }

    @Test(arguments: [("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("hello", "aGVsbG8"), ("\u{ff}\u{fe}", "w7/Dvg")])
    func base64IsUnpadded(input: String, expected: String) {
        #expect(Base64.encodeUnpadded(Array(input.utf8)) == expected)
    }

    @Test func encodingHeaderParsing() {
        #expect(GRPCEncoding(headerValue: nil) == .identity)
        #expect(GRPCEncoding(headerValue: " GZIP ") == .gzip)
        #expect(GRPCEncoding(headerValue: "zstd") == .zstd)
        #expect(GRPCEncoding(headerValue: "") == .identity)
        #expect(GRPCEncoding(headerValue: "deflate") == nil)
        #expect(GRPCEncoding(headerValue: "gzip,zstd") == nil)
    }

    @Test func contentTypes() {
        #expect(GRPCContentType.isProtobufGRPC("application/grpc"))
        #expect(GRPCContentType.isProtobufGRPC("application/grpc+proto; charset=utf-8"))
        #expect(!GRPCContentType.isProtobufGRPC("application/grpc+json"))
        #expect(!GRPCContentType.isProtobufGRPC("application/x-protobuf"))
        #expect(!GRPCContentType.isProtobufGRPC(nil))
    }
}

@Suite struct GRPCContentTypeTests {
    @Test func anyGRPCSubtypeIsGRPC() {
        #expect(GRPCContentType.isGRPC("application/grpc"))
        #expect(GRPCContentType.isGRPC("Application/gRPC+json"))
        #expect(GRPCContentType.isGRPC("application/grpc; charset=x"))
        #expect(!GRPCContentType.isGRPC("application/grpcweb"))
        #expect(!GRPCContentType.isGRPC("application/json"))
        #expect(!GRPCContentType.isGRPC(nil))
    }
}
