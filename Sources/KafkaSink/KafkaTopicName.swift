/// Turns the topic template (`--kafka-topic`, e.g. `kelpie-events` or `events.{dataset}`) and a dataset
/// name into a legal Kafka topic name.
///
/// Kafka allows 1 to 249 bytes of `[A-Za-z0-9._-]`, and neither "." nor "..". A dataset may be any UTF-8
/// string, so `{dataset}` is replaced by a mapped form of it:
/// - bytes in `[A-Za-z0-9._-]` are kept; every other byte (each byte of a multi-byte character too)
///   becomes `_`;
/// - when anything was replaced, the dataset is empty, or the topic would exceed 249 bytes (the mapped
///   part is then shortened), `-` and eight hex digits of the dataset's FNV-1a 32-bit hash are appended,
///   so datasets that differ only in replaced bytes ("my app", "my_app", "my/app") still get different
///   topics;
/// - a dataset whose name is already legal maps to itself.
public struct KafkaTopicName: Sendable {
    public static let maximumLength = 249
    public static let datasetPlaceholder = "{dataset}"
    /// "-" and 8 hex digits.
    static let hashSuffixLength = 9

    public let template: String
    /// The template split at each `{dataset}`; one part when the template has no placeholder.
    private let parts: [String]
    private let fixedLength: Int

    public var usesDataset: Bool { parts.count > 1 }

    /// Checks that the template's own characters are legal and that it leaves room for a dataset.
    public init(template: String) throws(KafkaConfigurationError) {
        var parts: [String] = []
        var rest = Substring(template)
        while let range = rest.firstRange(of: Self.datasetPlaceholder) {
            parts.append(String(rest[..<range.lowerBound]))
            rest = rest[range.upperBound...]
        }
        parts.append(String(rest))
        for part in parts where !part.utf8.allSatisfy(Self.isLegal) {
            throw .invalidTopicTemplate(template, reason: "only A-Z a-z 0-9 . _ - and {dataset} are allowed")
        }
        let fixedLength = parts.reduce(0) { $0 + $1.utf8.count }
        let placeholders = parts.count - 1
        if placeholders == 0 {
            if fixedLength == 0 || template == "." || template == ".." || fixedLength > Self.maximumLength {
                throw .invalidTopicTemplate(template, reason: "a topic is 1 to \(Self.maximumLength) bytes and not . or ..")
            }
        } else if fixedLength + placeholders * (1 + Self.hashSuffixLength) > Self.maximumLength {
            throw .invalidTopicTemplate(template, reason: "leaves no room for the dataset within \(Self.maximumLength) bytes")
        }
        self.template = template
        self.parts = parts
        self.fixedLength = fixedLength
    }

    /// The topic for events of `dataset`.
    public func topic(forDataset dataset: String) -> String {
        guard usesDataset else { return parts[0] }
        let placeholders = parts.count - 1
        let room = (Self.maximumLength - fixedLength) / placeholders
        let mapped = Self.map(dataset: dataset, maximumLength: room)
        var topic = parts[0]
        for part in parts.dropFirst() {
            topic += mapped
            topic += part
        }
        if topic == "." || topic == ".." { return topic + Self.hashSuffix(of: dataset) }
        return topic
    }

    /// The mapped dataset, at most `maximumLength` bytes (which is at least `hashSuffixLength` + 1).
    static func map(dataset: String, maximumLength: Int) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(dataset.utf8.count)
        var replaced = false
        for byte in dataset.utf8 {
            if isLegal(byte) {
                bytes.append(byte)
            } else {
                bytes.append(UInt8(ascii: "_"))
                replaced = true
            }
        }
        if !replaced, !bytes.isEmpty, bytes.count <= maximumLength {
            return dataset
        }
        let kept = min(bytes.count, maximumLength - hashSuffixLength)
        return String(decoding: bytes[..<kept], as: UTF8.self) + hashSuffix(of: dataset)
    }

    static func hashSuffix(of dataset: String) -> String {
        var hash: UInt32 = 2_166_136_261
        for byte in dataset.utf8 {
            hash ^= UInt32(byte)
            hash &*= 16_777_619
        }
        let hex = String(hash, radix: 16)
        return "-" + String(repeating: "0", count: 8 - hex.count) + hex
    }

    static func isLegal(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }
}
