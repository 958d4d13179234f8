/// One field value of a generated event: the Honeycomb value kinds plus a nested object.
/// Objects keep their field order so encodings are deterministic.
public indirect enum FieldValue: Sendable, Equatable {
    case string(String)
    case int(Int64)
    case double(Double)
    case bool(Bool)
    case object([(String, FieldValue)])

    public static func == (lhs: FieldValue, rhs: FieldValue) -> Bool {
        switch (lhs, rhs) {
        case let (.string(a), .string(b)): return a == b
        case let (.int(a), .int(b)): return a == b
        case let (.double(a), .double(b)): return a == b
        case let (.bool(a), .bool(b)): return a == b
        case let (.object(a), .object(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }
}

/// A generated event: its ordered fields, and (in verify mode) the id field's placeholder value.
public struct GeneratedEvent: Sendable {
    public var fields: [(String, FieldValue)]
    /// Wall time of the event in nanoseconds since the epoch.
    public var timeUnixNanos: Int64

    public init(fields: [(String, FieldValue)], timeUnixNanos: Int64) {
        self.fields = fields
        self.timeUnixNanos = timeUnixNanos
    }
}
