/// One record read back from Kafka.
public struct KafkaRecord: Sendable, Equatable {
    public struct Header: Sendable, Equatable {
        public var name: String
        public var value: [UInt8]
    }

    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var key: [UInt8]?
    public var value: [UInt8]
    public var headers: [Header]

    /// The first header named `name`, as UTF-8 text.
    public func header(_ name: String) -> String? {
        headers.first { $0.name == name }.map { String(decoding: $0.value, as: UTF8.self) }
    }
}
