/// What generated events look like. Everything derives from `seed`, so two runs with the same shape send
/// byte-identical bodies (apart from timestamps and verify ids).
public struct EventShape: Sendable, Equatable {
    /// Target size in bytes of one event's `data` object serialized as compact JSON.
    public var targetDataBytes: Int
    /// Distinct values of the high-cardinality string field (`user.id`).
    public var stringCardinality: Int
    public var seed: UInt64

    public static let defaultTargetDataBytes = 368
    public static let defaultStringCardinality = 1000

    public init(
        targetDataBytes: Int = EventShape.defaultTargetDataBytes,
        stringCardinality: Int = EventShape.defaultStringCardinality,
        seed: UInt64 = 1
    ) {
        self.targetDataBytes = targetDataBytes
        self.stringCardinality = max(1, stringCardinality)
        self.seed = seed
    }
}
