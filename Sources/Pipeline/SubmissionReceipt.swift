/// What an admitted submission's completion reports on success. With `--ack delivered` and a remote sink it
/// names the events the sink can never deliver (dead-lettered), so the answer can report them per event
/// instead of as accepted; in every other mode it is empty (a dead letter found later by the forwarder
/// cannot change an answer already given).
public struct SubmissionReceipt: Sendable, Equatable {
    /// The sink's rejections; each `eventIndex` counts events across the submission's batches, in order.
    public var rejected: [SinkRejection]

    public init(rejected: [SinkRejection] = []) {
        self.rejected = rejected
    }

    /// Every event was stored (or delivered).
    public static let stored = SubmissionReceipt()
}
