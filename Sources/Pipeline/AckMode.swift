/// What a successful submission promises (see DESIGN.md, "Acknowledgement: what a 2xx promises").
public enum AckMode: String, Sendable, CaseIterable {
    /// The batch's lines are written to the WAL and fdatasync'd before its completion runs (group commit).
    case durable
    /// The batch is in the bounded in-memory queue when its completion runs; a crash can lose it.
    case memory
    /// The sink confirmed the batch (Kafka: the delivery report of an `acks=all` produce). No local disk on
    /// the way. With the spool as the sink (no remote sink) this is the same as `durable`.
    case delivered
}
