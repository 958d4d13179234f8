/// HTTP/2 error codes (RFC 9113 §7), as carried by RST_STREAM and GOAWAY.
public enum HTTP2ErrorCode: UInt32, Sendable, Equatable {
    case noError = 0x0
    case protocolError = 0x1
    case internalError = 0x2
    case flowControlError = 0x3
    case settingsTimeout = 0x4
    case streamClosed = 0x5
    case frameSizeError = 0x6
    case refusedStream = 0x7
    case cancel = 0x8
    case compressionError = 0x9
    case connectError = 0xa
    case enhanceYourCalm = 0xb
    case inadequateSecurity = 0xc
    case http11Required = 0xd
    /// A code this enum does not name (RFC 9113 §7: unknown codes must not trigger special behaviour).
    case unknown = 0xffff_ffff

    public init(wireValue: UInt32) {
        self = HTTP2ErrorCode(rawValue: wireValue) ?? .unknown
    }
}
