/// Dataset names as they arrive in the path (already percent-decoded, so `%2F` is a `/` inside the name).
/// Honeycomb's rules: 1–255 characters; names are case-insensitive (stored as sent, compared lowercased).
/// Kelpie also trims surrounding whitespace, as libhoney does before sending, and refuses control
/// characters, which no display or slug can carry.
enum DatasetName {
    static let maxCharacters = 255
    static let invalidMessage = "dataset name must be 1 to 255 characters, without control characters"

    static func validate(_ raw: String) -> String? {
        let trimmed = raw.trimmingWhitespace()
        guard !trimmed.isEmpty, trimmed.count <= maxCharacters else { return nil }
        guard !trimmed.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return nil }
        return trimmed
    }
}

extension String {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[first...last])
    }
}
