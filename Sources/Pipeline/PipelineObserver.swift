/// Receives the pipeline's events for metrics and logs. Called synchronously from the submitting thread
/// (`admissionRefused`) or the writer queue (everything else), so implementations must be cheap and thread-safe.
public protocol PipelineObserver: Sendable {
    /// Lines were appended to the active segment (one call per write/writev group).
    func walAppended(events: Int, bytes: Int)
    /// One fdatasync finished; it covered `requests` submissions (group commit).
    func walSynced(duration: Duration, requests: Int)
    /// A write, sync, segment creation or deletion failed; affected durable submissions complete with this error.
    func walWriteFailed(_ error: PipelineError)
    /// `submit` refused a batch; `reason` is "queue_full" or "stopped".
    func admissionRefused(reason: String)
    /// The active segment was closed (by size, age, a failure or stop) and the next write opens a new one.
    func segmentRotated()
    /// Retention deleted the oldest closed segments.
    func segmentsDeleted(count: Int, bytes: Int64)
    /// The stop deadline passed with `events` admitted events not yet written and synced: they are lost
    /// (ack=memory) or their submissions complete with ``PipelineError/stopped`` (ack=durable).
    func stopDeadlineExpired(unwrittenEvents: Int)
    /// A sink confirmed `events` events (`bytes` canonical bytes) of one block, `latency` after handing it over.
    func sinkDelivered(sink: String, events: Int, bytes: Int, latency: Duration)
    /// A sink reported a block failed; it is handed over again after a backoff.
    func sinkFailed(sink: String, reason: String)
    /// Events handed to the sink again that it may already have (a retry, or a restart behind the checkpoint).
    func sinkRedelivered(events: Int)
    /// Events a sink can never deliver were set aside in the dead-letter spool.
    func deadLettered(sink: String, events: Int, reason: String)
    /// Events lost with nowhere to keep them (the dead-letter spool could not be written, a damaged WAL line).
    func eventsDropped(events: Int, reason: String)
    /// ack=delivered: a submission was answered 503 because the sink had not confirmed it in time.
    func sinkTimedOut(events: Int)
}

extension PipelineObserver {
    public func walAppended(events: Int, bytes: Int) {}
    public func walSynced(duration: Duration, requests: Int) {}
    public func walWriteFailed(_ error: PipelineError) {}
    public func admissionRefused(reason: String) {}
    public func segmentRotated() {}
    public func segmentsDeleted(count: Int, bytes: Int64) {}
    public func stopDeadlineExpired(unwrittenEvents: Int) {}
    public func sinkDelivered(sink: String, events: Int, bytes: Int, latency: Duration) {}
    public func sinkFailed(sink: String, reason: String) {}
    public func sinkRedelivered(events: Int) {}
    public func deadLettered(sink: String, events: Int, reason: String) {}
    public func eventsDropped(events: Int, reason: String) {}
    public func sinkTimedOut(events: Int) {}
}

/// Stands in when no observer is given, so the pipeline never branches on an optional.
struct NoopPipelineObserver: PipelineObserver {}
