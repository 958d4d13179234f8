/// What was negotiated on one connection. Values are bounded: `protocolVersion` is "TLSv1.2" or
/// "TLSv1.3", `applicationProtocol` one of the configured ALPN names or nil.
public struct TLSConnectionInfo: Sendable, Equatable {
    public var protocolVersion: String
    public var applicationProtocol: String?
    /// An abbreviated handshake resumed an earlier session (session cache or ticket).
    public var isResumed: Bool

    public init(protocolVersion: String, applicationProtocol: String?, isResumed: Bool) {
        self.protocolVersion = protocolVersion
        self.applicationProtocol = applicationProtocol
        self.isResumed = isResumed
    }
}
