/// Why an admitted submission was not made durable; the server answers 503 for either.
public enum PipelineError: Error, Sendable, Equatable {
    /// write(), fdatasync(), or creating a segment failed (disk full, EIO, …); the message names the call and errno.
    case writeFailed(String)
    /// The stop deadline passed before the submission could be written and synced.
    case stopped
    /// ack=delivered: the sink had not confirmed the submission within ``PipelineConfiguration/sinkTimeout``
    /// (it may still deliver it later; a client retry can then duplicate it).
    case sinkTimeout
}
