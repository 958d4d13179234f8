/// One request ready to send: complete HTTP/1.1 bytes, or in verify mode the patchable payload from which
/// the bytes are rebuilt for every send.
public struct PreparedRequest: Sendable {
    public var bytes: [UInt8]
    public var eventCount: Int
    /// Uncompressed payload with id offsets; only in verify mode.
    public var template: EncodedPayload?
    public var headerPrefix: [UInt8]

    public init(bytes: [UInt8], eventCount: Int, template: EncodedPayload?, headerPrefix: [UInt8]) {
        self.bytes = bytes
        self.eventCount = eventCount
        self.template = template
        self.headerPrefix = headerPrefix
    }
}
