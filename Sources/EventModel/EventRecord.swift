/// One decoded event inside an ``EventBatch``: where its `data` object sits in the batch's body, and its
/// normalised time and sample rate.
///
/// The `data` bytes are never rebuilt for JSON input: `dataRange` slices the decoded request body, so a
/// 48 KB batch becomes 100 ranges, not 100 dictionaries.
public struct EventRecord: Sendable, Equatable {
    /// Event time in nanoseconds since the Unix epoch (UTC). Already normalised: receive time when the
    /// client sent none, an unparseable one, or one more than the allowed skew into the future.
    public var timeUnixNanos: Int64
    /// Sample rate, always ≥ 1 ("one event stands for this many").
    public var sampleRate: Int
    /// Byte range of this event's `data` JSON object (from `{` to `}` inclusive) within ``EventBatch/body``.
    public var dataRange: Range<Int>

    public init(timeUnixNanos: Int64, sampleRate: Int, dataRange: Range<Int>) {
        self.timeUnixNanos = timeUnixNanos
        self.sampleRate = sampleRate
        self.dataRange = dataRange
    }
}
