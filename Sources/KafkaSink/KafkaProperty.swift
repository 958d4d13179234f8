/// One librdkafka configuration property (`--kafka-property NAME=VALUE`), passed through as is: SASL,
/// TLS and tuning settings, as Vector's `librdkafka_options` does.
public struct KafkaProperty: Sendable, Equatable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    /// Parses `NAME=VALUE`; the value may itself contain `=`.
    public init(parsing text: String) throws(KafkaConfigurationError) {
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
            throw .malformedProperty(text)
        }
        name = String(text[..<equals]).trimmingSpaces()
        value = String(text[text.index(after: equals)...])
        if name.isEmpty { throw .malformedProperty(text) }
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        var slice = Substring(self)
        while slice.first == " " { slice.removeFirst() }
        while slice.last == " " { slice.removeLast() }
        return String(slice)
    }
}
