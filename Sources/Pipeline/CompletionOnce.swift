import Locking

/// A submission's completion that must run exactly once although two parties race to run it: the sink's
/// delivery report and the `--sink-timeout` timer (ack=delivered). Whoever comes first wins.
final class CompletionOnce: Sendable {
    private let completion: Lock<EventPipeline.Completion?>

    init(_ completion: @escaping EventPipeline.Completion) {
        self.completion = Lock(completion)
    }

    /// Runs the completion with `result` if nobody has yet; returns whether this call ran it.
    @discardableResult
    func complete(_ result: Result<SubmissionReceipt, PipelineError>) -> Bool {
        guard let completion = self.completion.withLock({ $0.take() }) else { return false }
        completion(result)
        return true
    }
}
