/// The immediate answer of ``EventPipeline/submit(_:completion:)``; it never waits.
public enum AdmissionResult: Sendable, Equatable {
    /// Admitted; the completion will run exactly once.
    case accepted
    /// The queue holds ``PipelineConfiguration/maxQueuedBytes`` already; try again after the given delay (503 + Retry-After).
    case queueFull(retryAfterSeconds: Int)
    /// The pipeline is stopping or stopped; nothing more is admitted.
    case stopped
}
