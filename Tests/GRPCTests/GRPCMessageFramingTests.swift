import GRPC
import Testing

@Suite struct GRPCMessageFramingTests {
    @Test func framesAndReadsBackOneMessage() throws {
        let framed = GRPCMessageFraming.frame([1, 2, 3])
        #expect(framed == [0, 0, 0, 0, 3, 1, 2, 3])
        let message = try GRPCMessageFraming.unaryMessage(in: framed, maxMessageBytes: 3)
        #expect(!message.isCompressed)
        #expect(Array(message.payload) == [1, 2, 3])
    }

    @Test func readsTheCompressedFlagAndAnEmptyMessage() throws {
        let message = try GRPCMessageFraming.unaryMessage(in: [1, 0, 0, 0, 0], maxMessageBytes: 10)
        #expect(message.isCompressed)
        #expect(message.payload.isEmpty)
    }

    @Test func lengthIsBigEndianAcrossAllFourBytes() throws {
        let payload = [UInt8](repeating: 7, count: 70_000)
        let framed = GRPCMessageFraming.frame(payload)
        #expect(Array(framed[0..<5]) == [0, 0x00, 0x01, 0x11, 0x70])
        #expect(try GRPCMessageFraming.unaryMessage(in: framed, maxMessageBytes: 70_000).payload.count == 70_000)
    }

    @Test(arguments: [
        ([UInt8](), GRPCFramingError.missingMessage),
        ([0, 0, 0], .truncated),
        ([0, 0, 0, 0, 4, 1, 2, 3], .truncated),
        ([0, 0, 0, 0, 1, 1, 9], .moreThanOneMessage),
        ([2, 0, 0, 0, 0], .unknownFlag(2)),
        ([0, 0, 0, 0, 11] + [UInt8](repeating: 0, count: 11), .messageTooLarge(limitBytes: 10)),
        ([0, 0xff, 0xff, 0xff, 0xff], .messageTooLarge(limitBytes: 10)),
    ])
    func refusesBodiesThatAreNotOneMessage(body: [UInt8], expected: GRPCFramingError) {
        #expect(throws: expected) { try GRPCMessageFraming.unaryMessage(in: body, maxMessageBytes: 10) }
    }

    @Test func oversizedMessageIsResourceExhaustedTheRestInvalidArgument() {
        #expect(GRPCFramingError.messageTooLarge(limitBytes: 1).statusCode == .resourceExhausted)
        #expect(GRPCFramingError.truncated.statusCode == .invalidArgument)
    }
}
