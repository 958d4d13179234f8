/// Where canonical events go once admitted: the seam between the pipeline and a broker or upstream API.
///
/// The pipeline hands a sink blocks of canonical event lines (the same bytes the spool stores and
/// `kelpie spool cat` prints) and learns, per block, whether they were delivered. A sink never blocks the
/// caller of ``deliver(_:completion:)``: it queues the block and reports later, on any thread. Retrying
/// transient failures inside the sink (librdkafka does) is allowed; a block reported ``SinkOutcome/failed(reason:)``
/// is handed over again by the pipeline after a backoff, so a sink may see a block more than once
/// (at-least-once; the pipeline counts such redeliveries).
///
/// The local spool is not a `Sink`: it is the write-ahead log itself, which every sink sits behind with
/// `--ack=durable`.
public protocol Sink: AnyObject, Sendable {
    /// Short, stable name for metrics and logs (`null`, `kafka`, `http`).
    var name: String { get }

    /// Takes a block; `completion` runs exactly once, on any thread, never inside this call's caller's lock.
    func deliver(_ block: SinkBlock, completion: @escaping @Sendable (SinkOutcome) -> Void)

    /// Waits up to `timeout` for every block handed over to be reported; returns false if some were not.
    func flush(timeout: Duration) -> Bool

    /// Releases the sink's resources; blocks not yet reported are reported as failed or abandoned by then.
    func close()

    /// False while the sink knows it cannot deliver (all brokers down, upstream refusing our key); readiness
    /// and metrics read it. A sink that cannot tell answers true.
    var isReachable: Bool { get }
}

extension Sink {
    public var isReachable: Bool { true }
}
