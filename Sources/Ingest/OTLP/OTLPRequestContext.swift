/// What the OTLP decoder needs from the HTTP request besides the body.
public struct OTLPRequestContext: Sendable {
    /// Short, stable identity of the API key (``APIKeyID``); copied into every batch.
    public var keyID: String
    /// Classic or environment key: picks the dataset rules (husky's `IsClassicApiKey`).
    public var keyKind: APIKeyKind
    /// The `x-honeycomb-dataset` header, if sent.
    public var datasetHeader: String?
    /// Server receive time, Unix nanoseconds: the time of items that carry none, or one too far ahead.
    public var receiveTimeNanos: Int64

    public init(keyID: String, keyKind: APIKeyKind, datasetHeader: String?, receiveTimeNanos: Int64) {
        self.keyID = keyID
        self.keyKind = keyKind
        self.datasetHeader = datasetHeader
        self.receiveTimeNanos = receiveTimeNanos
    }
}
