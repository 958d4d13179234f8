/// gRPC's length-prefixed message framing (grpc/doc/PROTOCOL-HTTP2.md): one byte compressed-flag, a
/// four-byte big-endian length, then the message.
public enum GRPCMessageFraming {
    public static let prefixBytes = 5

    /// The one message of a unary request body. The body must hold exactly one complete message: a
    /// shorter body is truncated, anything after the message is refused (a unary method takes one).
    public static func unaryMessage(in body: [UInt8], maxMessageBytes: Int) throws(GRPCFramingError) -> GRPCMessage {
        guard !body.isEmpty else { throw .missingMessage }
        guard body.count >= prefixBytes else { throw .truncated }
        let flag = body[0]
        guard flag <= 1 else { throw .unknownFlag(flag) }
        let length = Int(body[1]) << 24 | Int(body[2]) << 16 | Int(body[3]) << 8 | Int(body[4])
        guard length <= maxMessageBytes else { throw .messageTooLarge(limitBytes: maxMessageBytes) }
        let end = prefixBytes + length
        guard body.count >= end else { throw .truncated }
        guard body.count == end else { throw .moreThanOneMessage }
        return GRPCMessage(isCompressed: flag == 1, payload: body[prefixBytes..<end])
    }

    /// `message` with its prefix, uncompressed (Kelpie's replies are a few bytes).
    public static func frame(_ message: [UInt8]) -> [UInt8] {
        var framed: [UInt8] = []
        framed.reserveCapacity(prefixBytes + message.count)
        let length = UInt32(truncatingIfNeeded: message.count)
        framed.append(0)
        framed.append(UInt8(truncatingIfNeeded: length >> 24))
        framed.append(UInt8(truncatingIfNeeded: length >> 16))
        framed.append(UInt8(truncatingIfNeeded: length >> 8))
        framed.append(UInt8(truncatingIfNeeded: length))
        framed.append(contentsOf: message)
        return framed
    }
}

/// One gRPC message: whether it is compressed (with the request's `grpc-encoding`), and its bytes.
public struct GRPCMessage: Sendable, Equatable {
    public var isCompressed: Bool
    public var payload: ArraySlice<UInt8>

    public init(isCompressed: Bool, payload: ArraySlice<UInt8>) {
        self.isCompressed = isCompressed
        self.payload = payload
    }
}

/// Why a request body is not one gRPC message; every case is answered INVALID_ARGUMENT, except
/// ``messageTooLarge(limitBytes:)`` (RESOURCE_EXHAUSTED, as gRPC servers answer an oversized message).
public enum GRPCFramingError: Error, Sendable, Equatable {
    case missingMessage
    case truncated
    case unknownFlag(UInt8)
    case moreThanOneMessage
    case messageTooLarge(limitBytes: Int)

    public var statusCode: GRPCStatusCode {
        if case .messageTooLarge = self { return .resourceExhausted }
        return .invalidArgument
    }

    public var message: String {
        switch self {
        case .missingMessage: "request has no message"
        case .truncated: "request message is truncated"
        case .unknownFlag(let flag): "request message has an unknown compressed-flag \(flag)"
        case .moreThanOneMessage: "unary request carries more than one message"
        case .messageTooLarge(let limit): "request message is larger than \(limit) bytes"
        }
    }
}
