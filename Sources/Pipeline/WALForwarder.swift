import Locking
import Dispatch

/// ack=durable with a remote sink: the WAL is a store-and-forward buffer. The forwarder reads segments in
/// order from its checkpoint, hands the sink one block at a time, and on delivery moves the checkpoint on;
/// the writer deletes a closed segment only once the checkpoint has passed it. A block the sink reports
/// failed is handed over again after a jittered backoff, so an outage leaves events in the WAL, never lost.
///
/// Threads: the loop runs on the forwarder's own serial queue and is the only reader of segment files and
/// writer of the checkpoint; `shared` carries what the pipeline reads (delivered position, lag) and the
/// wake-ups.
final class WALForwarder: Sendable {
    struct Shared {
        var checkpoint: ForwarderCheckpoint
        var stopDeadline: ContinuousClock.Instant?
        var writerFinished = false
        var finished = false
        var stopCompletions: [@Sendable () -> Void] = []
        /// Bytes after the delivered position in segments the forwarder has looked at (for the lag gauge).
        var undeliveredBytes: Int64 = 0
    }

    /// Bytes of complete lines read per block (a single line larger than this is read whole).
    static let blockBytes = 1 << 20
    /// How long the idle loop waits for the writer's signal before looking again.
    static let idleWait: Duration = .milliseconds(50)

    let directory: String
    private let sink: any Sink
    private let observer: any PipelineObserver
    private let deadLetters: DeadLetterSpool
    private let queue = DispatchQueue(label: "kelpie.pipeline.forwarder", qos: .userInitiated)
    private let wakeup = DispatchSemaphore(value: 0)
    private let shared: Lock<Shared>
    private let clock = ContinuousClock()

    init(directory: String, sink: any Sink, observer: any PipelineObserver, deadLetters: DeadLetterSpool)
        throws(WALIOError)
    {
        self.directory = directory
        self.sink = sink
        self.observer = observer
        self.deadLetters = deadLetters
        let checkpoint = try ForwarderCheckpoint.load(directory: directory) ?? .start
        self.shared = Lock(Shared(checkpoint: checkpoint))
    }

    func start() {
        queue.async { self.run() }
    }

    /// The writer appended lines: look for them now rather than at the next idle tick.
    func notifyAppended() {
        wakeup.signal()
    }

    /// Everything before this position was confirmed by the sink.
    var delivered: WALPosition { shared.withLock { $0.checkpoint.delivered } }

    /// WAL bytes not yet confirmed by the sink, as of the forwarder's last look.
    var undeliveredBytes: Int64 { shared.withLock { $0.undeliveredBytes } }

    /// The writer has written and closed everything: deliver what is left until `deadline`, then report.
    func stop(deadline: ContinuousClock.Instant, completion: @escaping @Sendable () -> Void) {
        let finished = shared.withLock { state -> Bool in
            if state.finished { return true }
            state.stopDeadline = deadline
            state.writerFinished = true
            state.stopCompletions.append(completion)
            return false
        }
        if finished { completion() } else { wakeup.signal() }
    }

    // MARK: - Loop (queue only)

    private func run() {
        var checkpoint = shared.withLock { $0.checkpoint }
        var backoff = RetryBackoff()
        while true {
            let (deadline, writerFinished) = shared.withLock { ($0.stopDeadline, $0.writerFinished) }
            if let deadline, clock.now >= deadline { break }

            let next: (block: SinkBlock, end: WALPosition)?
            do throws(WALIOError) {
                next = try readBlock(from: checkpoint.delivered)
            } catch {
                observer.walWriteFailed(.writeFailed(error.description))
                if !waitOrStop(Self.idleWait) { break }
                continue
            }
            guard let next else {
                if writerFinished { break }
                _ = wakeup.wait(timeout: .now() + .nanoseconds(Int(clamping: Self.idleWait.wholeNanoseconds)))
                continue
            }
            if !next.block.events.isEmpty {
                if checkpoint.delivered < checkpoint.sent {
                    observer.sinkRedelivered(events: next.block.events.count)
                }
                checkpoint.sent = max(checkpoint.sent, next.end)
                store(checkpoint)
                guard let outcome = deliver(next.block) else { break }
                switch outcome {
                case .delivered(let rejected):
                    backoff.succeeded()
                    deadLetters.setAside(rejected, of: next.block, sink: sink.name, observer: observer)
                case .failed(let reason):
                    observer.sinkFailed(sink: sink.name, reason: reason)
                    // Everything up to `sent` may now be delivered twice: count it when it is sent again.
                    if !waitOrStop(backoff.failed(unitRandom: Double.random(in: 0...1))) { break }
                    continue
                }
            }
            checkpoint.delivered = next.end
            store(checkpoint)
            shared.withLock { $0.checkpoint = checkpoint }
        }
        let completions = shared.withLock { state -> [@Sendable () -> Void] in
            state.finished = true
            defer { state.stopCompletions.removeAll() }
            return state.stopCompletions
        }
        for completion in completions { completion() }
    }

    /// Hands `block` to the sink and waits for its report; nil if the stop deadline passed first.
    private func deliver(_ block: SinkBlock) -> SinkOutcome? {
        let report = Lock<SinkOutcome?>(nil)
        let done = DispatchSemaphore(value: 0)
        let started = clock.now
        sink.deliver(block) { outcome in
            report.withLock { $0 = outcome }
            done.signal()
        }
        while true {
            let deadline = shared.withLock { $0.stopDeadline }
            let slice: Duration = deadline.map { min(max($0 - clock.now, .zero), Self.idleWait) } ?? Self.idleWait
            if done.wait(timeout: .now() + .nanoseconds(Int(clamping: slice.wholeNanoseconds))) == .success { break }
            if let deadline, clock.now >= deadline { return nil }
        }
        let outcome = report.withLock { $0 }
        if case .delivered(let rejected)? = outcome {
            observer.sinkDelivered(
                sink: sink.name, events: block.events.count - rejected.count, bytes: block.eventBytes,
                latency: clock.now - started
            )
        }
        return outcome
    }

    /// Waits `duration` (the backoff) unless the stop deadline comes first; false if it did.
    private func waitOrStop(_ duration: Duration) -> Bool {
        let until = clock.now + duration
        while clock.now < until {
            let deadline = shared.withLock { $0.stopDeadline }
            if let deadline, clock.now >= deadline { return false }
            let slice = min(until - clock.now, Self.idleWait)
            _ = wakeup.wait(timeout: .now() + .nanoseconds(Int(clamping: max(slice, .zero).wholeNanoseconds)))
        }
        return true
    }

    private func store(_ checkpoint: ForwarderCheckpoint) {
        do throws(WALIOError) {
            try checkpoint.store(directory: directory)
        } catch {
            observer.walWriteFailed(.writeFailed(error.description))
        }
    }

    /// The complete lines after `position`, up to ``blockBytes`` (more if one line is longer), and the
    /// position after them. Moves to the next segment once the current one is read to its end and a newer
    /// one exists (listed before the read, so the writer had closed it). nil when nothing new is there.
    private func readBlock(from position: WALPosition) throws(WALIOError) -> (block: SinkBlock, end: WALPosition)? {
        var position = position
        while true {
            let segments = try FileSystemCalls.listSegments(inDirectory: directory)
            updateLag(segments: segments, delivered: position)
            guard let current = segments.first(where: { $0.sequence >= position.sequence }) else { return nil }
            if current.sequence > position.sequence { position = WALPosition(sequence: current.sequence, offset: 0) }
            let newerExists = segments.contains { $0.sequence > current.sequence }
            let lines: [UInt8]
            do throws(WALIOError) {
                lines = try Self.completeLines(path: current.path, from: position.offset)
            } catch where error.errno == 2 /* ENOENT: deleted under us */ {
                continue
            }
            if !lines.isEmpty {
                let end = WALPosition(sequence: position.sequence, offset: position.offset + Int64(lines.count))
                return (SinkBlock(lines: lines), end)
            }
            guard newerExists else { return nil }
            // Done with this segment: an empty block moves the checkpoint to the next one.
            let next = segments.first { $0.sequence > current.sequence }!
            return (SinkBlock(lines: []), WALPosition(sequence: next.sequence, offset: 0))
        }
    }

    private func updateLag(segments: [SegmentEntry], delivered: WALPosition) {
        var bytes: Int64 = 0
        for segment in segments where segment.sequence >= delivered.sequence {
            let size = (try? FileSystemCalls.fileSize(atPath: segment.path)) ?? 0
            bytes += segment.sequence == delivered.sequence ? max(size - delivered.offset, 0) : size
        }
        shared.withLock { $0.undeliveredBytes = bytes }
    }

    /// Reads complete lines of `path` starting at `offset`: up to ``blockBytes``, or one whole line if the
    /// first line is longer.
    static func completeLines(path: String, from offset: Int64) throws(WALIOError) -> [UInt8] {
        let descriptor = try FileSystemCalls.openForReading(path)
        defer { FileSystemCalls.closeDescriptor(descriptor) }
        var capacity = blockBytes
        while true {
            let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 1)
            defer { raw.deallocate() }
            let count = try FileSystemCalls.readFully(descriptor, into: raw, at: offset, path: path)
            let read = UnsafeRawBufferPointer(rebasing: raw[..<count])
            if let lastNewline = read.lastIndex(of: UInt8(ascii: "\n")) {
                return Array(read[...lastNewline])
            }
            // No complete line in what was read: either nothing more is written yet, or one line is longer.
            if count < capacity { return [] }
            capacity *= 2
        }
    }
}
