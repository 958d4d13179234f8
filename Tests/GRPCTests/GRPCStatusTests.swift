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

    @Test func percentEncodingLeavesPrintableASCIIAlone() {
        #expect(GRPCPercentEncoding.encode("plain text ~!") == "plain text ~!")
        #expect(GRPCPercentEncoding.encode("\t%日") == "%09%25%E6%97%A5")
    }

    @Test func detailsGoOutAsUnpaddedBase64() {
        let fields = GRPCStatus(.unavailable, "x", details: [0x08, 14, 0x12, 1, UInt8(ascii: "x")]).trailerFields
        #expect(fields.map { "\($0.name)=\($0.value)" } == ["grpc-status=14", "grpc-message=x", "grpc-status-details-bin=CA4SAXg"])
    }

    @Test(arguments: [("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("hello", "aGVsbG8"), ("\u{ff}\u{fe}", "w7/Dvg")])
    func base64IsUnpadded(input: String, expected: String) {
        #expect(Base64.encodeUnpadded(Array(input.utf8)) == expected)
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
