import Locking
public import EventModel
import Dispatch

/// Makes canonical event batches durable: admission against a byte budget, then a write-ahead log of
/// segment files under the data directory (in this first form the WAL is the spool, the embedded sink).
///
/// Threads: `submit` encodes the batch's WAL lines on the caller's thread and appends them to a pending list
/// under a lock; it never touches a file and never waits. One writer loop on the pipeline's own serial
/// queue takes everything pending at once, writes it with one writev per segment, fdatasyncs once (ack=durable)
/// and then completes every submission of that round (group commit).
///
/// Call `start()` once and `stop(deadline:completion:)` before dropping the pipeline: the writer queue keeps
/// the pipeline alive until it has stopped.
public final class EventPipeline: @unchecked Sendable {  // unchecked: `writer` is touched only on `writerQueue`; everything else shared is in `shared` (locked)
    public typealias Completion = @Sendable (Result<SubmissionReceipt, PipelineError>) -> Void

    /// State shared between submitters, readers of the gauges and the writer loop.
    struct SharedState {
        var gate: AdmissionGate
        var pending: [PendingWrite] = []
        /// ack=durable only: completions aligned with `pending`.
        var pendingCompletions: [Completion] = []
        /// The completions of the round the writer is working on; whoever takes them calls them
        /// (the writer after its fdatasync, or the stop deadline).
        var inFlightCompletions: [Completion]?
        var inFlightEvents = 0
        var writerParked = false
        /// Encoded bytes appended to `pending` since the writer last took it.
        var pendingBytes = 0
        var writerStarted = false
        var stopRequested = false
        var stopFinished = false
        var stopCompletions: [@Sendable () -> Void] = []
        var heartbeat: ContinuousClock.Instant
        var walBytes: Int64 = 0
        var segmentCount = 0
    }

    /// What the writer took from the shared state at the top of one loop turn.
    private struct WriterTurn {
        var writes: [PendingWrite]
        var stopping: Bool
    }

    /// Where admitted events go after admission.
    private enum Route {
        /// The WAL is the sink (the embedded spool).
        case spool
        /// ack=durable with a remote sink: WAL first, then the forwarder delivers from it.
        case forwarded(WALForwarder, any Sink)
        /// ack=memory or ack=delivered with a remote sink: straight from the submitting thread to the sink.
        case direct(SinkDispatcher, any Sink)
    }

    public let configuration: PipelineConfiguration
    /// What the WAL writer promises: `durable` (fdatasync before completing) or `memory`.
    private let walAckMode: AckMode
    private let route: Route
    private let observer: any PipelineObserver
    private let shared: Lock<SharedState>
    private let wakeup = DispatchSemaphore(value: 0)
    private let writerQueue = DispatchQueue(label: "kelpie.pipeline.wal-writer", qos: .userInitiated)
    /// Touched only on `writerQueue` once started.
    private let writer: WALWriter
    private let now: @Sendable () -> ContinuousClock.Instant
    private let writerTickInterval: Duration

    /// Opens (creating if missing) the data directory, takes its lock (`wal.lock`, flock), and recovers the
    /// segments a previous run left (see ``SegmentRecovery``). New lines always go to a new segment.
    ///
    /// `sink` nil: the WAL is the sink (spool), and ack=delivered means the same as ack=durable. With a sink,
    /// ack=durable forwards from the WAL (store-and-forward, a checkpoint beside the segments), and
    /// ack=memory / ack=delivered hand events to the sink without touching the disk.
    public convenience init(
        configuration: PipelineConfiguration, observer: (any PipelineObserver)? = nil, sink: (any Sink)? = nil
    ) throws {
        try self.init(
            configuration: configuration, observer: observer,
            storage: PosixWALStorage(), now: { ContinuousClock.now }, sink: sink
        )
    }

    /// The seam for tests: a storage that fails or stalls on demand, and a clock they move by hand.
    init(
        configuration: PipelineConfiguration,
        observer: (any PipelineObserver)?,
        storage: any WALStorage,
        now: @escaping @Sendable () -> ContinuousClock.Instant,
        sink: (any Sink)? = nil
    ) throws(WALIOError) {
        let directory = configuration.dataDirectory
        try FileSystemCalls.createDirectories(atPath: directory)
        let lockDescriptor = try FileSystemCalls.lockFile(atPath: directory + "/" + Self.lockFileName)
        let recovery: SegmentRecovery.Outcome
        do throws(WALIOError) {
            recovery = try SegmentRecovery.recover(directory: directory)
        } catch {
            FileSystemCalls.closeDescriptor(lockDescriptor)
            throw error
        }
        self.configuration = configuration
        let observer = observer ?? NoopPipelineObserver()
        self.observer = observer
        self.now = now
        let deadLetters = DeadLetterSpool(dataDirectory: directory)
        switch (sink, configuration.ackMode) {
        case (nil, _):
            route = .spool
        case (let sink?, .durable):
            do throws(WALIOError) {
                route = .forwarded(
                    try WALForwarder(directory: directory, sink: sink, observer: observer, deadLetters: deadLetters), sink
                )
            } catch {
                FileSystemCalls.closeDescriptor(lockDescriptor)
                throw error
            }
        case (let sink?, .memory), (let sink?, .delivered):
            route = .direct(SinkDispatcher(sink: sink, observer: observer, deadLetters: deadLetters), sink)
        }
        // ack=delivered with the spool as the sink: the spool's confirmation is the fdatasync.
        walAckMode = configuration.ackMode == .memory ? .memory : .durable
        var walConfiguration = configuration
        walConfiguration.ackMode = walAckMode
        var tick = configuration.writerTickInterval
        // With ack=memory nobody waits for the writer, so submissions do not wake it one by one (a futex
        // wake and two context switches per request); it drains on this short tick, or when enough is pending.
        if configuration.ackMode == .memory { tick = min(tick, configuration.memoryModeSyncInterval, Self.memoryModeWriterTick) }
        self.writerTickInterval = max(tick, .milliseconds(1))
        self.writer = WALWriter(
            configuration: walConfiguration, recovered: recovery.segments, highestSequence: recovery.highestSequence,
            lockDescriptor: lockDescriptor, storage: storage, observer: self.observer, now: now
        )
        var state = SharedState(
            gate: AdmissionGate(
                maxQueuedBytes: configuration.maxQueuedBytes,
                highWaterFraction: configuration.highWaterFraction,
                lowWaterFraction: configuration.lowWaterFraction,
                maxBacklogBytes: sink != nil && configuration.ackMode == .durable ? configuration.retentionMaxBytes : nil
            ),
            heartbeat: now()
        )
        state.walBytes = writer.walBytes
        state.segmentCount = writer.segmentCount
        if case .forwarded = route { state.gate.updateBacklog(bytes: writer.walBytes) }
        self.shared = Lock(state)
    }

    /// ack=memory: the writer's idle tick, which bounds how long admitted events wait before their write.
    static let memoryModeWriterTick: Duration = .milliseconds(5)
    /// ack=memory: pending bytes that wake the writer before its tick.
    static let memoryModeWakeBytes = 1 << 20

    /// The data directory's lock file; it keeps two processes from appending to the same WAL.
    public static let lockFileName = "wal.lock"

    /// Starts the writer loop. Idempotent. Submissions before `start()` are queued (within the budget).
    public func start() {
        let shouldStart = shared.withLock { state in
            if state.writerStarted { return false }
            state.writerStarted = true
            return true
        }
        if shouldStart {
            writerQueue.async { self.runWriterLoop() }
            if case .forwarded(let forwarder, _) = route { forwarder.start() }
        }
    }

    /// Admits the batch or refuses it at once; never blocks on I/O.
    ///
    /// On `.accepted`, `completion` is called exactly once:
    /// - ack=durable: on the pipeline's writer queue, after the batch's lines are written and fdatasync'd
    ///   (`.success`), or with `.failure(.writeFailed)` if writing or syncing failed, or `.failure(.stopped)`
    ///   if the stop deadline passed first.
    /// - ack=memory: synchronously inside `submit`, with `.success`, before `submit` returns `.accepted`.
    /// - ack=delivered with a remote sink: once the sink has confirmed every event, with the events it
    ///   rejected for good in the ``SubmissionReceipt``, or with `.failure(.sinkTimeout)`.
    ///
    /// On refusal (`.queueFull`, `.stopped`) `completion` is not called.
    public func submit(_ batch: EventBatch, completion: @escaping Completion) -> AdmissionResult {
        submit(CollectionOfOne(batch), completion: completion)
    }

    /// Several batches admitted (or refused) as one: one OTLP request yields a batch per dataset, and its
    /// answer must cover all of them. Same contract as ``submit(_:completion:)-(EventBatch,_)``.
    public func submit(_ batches: some Collection<EventBatch>, completion: @escaping Completion) -> AdmissionResult {
        // Cheap check first, so a full queue does not pay for encoding.
        let early = shared.withLock { $0.gate.precheck() }
        if early != .accepted { return refuse(early) }

        let eventCount = batches.reduce(0) { $0 + $1.events.count }
        let write = PendingWrite(lines: WALLineEncoder.encode(batches), eventCount: eventCount)
        if case .direct(let dispatcher, _) = route {
            return submitToSink(write, dispatcher: dispatcher, completion: completion)
        }
        let durable = walAckMode == .durable
        let (decision, wakeWriter) = shared.withLock { state -> (AdmissionGate.Decision, Bool) in
            let decision = state.gate.admit(bytes: write.lines.count)
            guard decision == .accepted else { return (decision, false) }
            state.pending.append(write)
            state.pendingBytes += write.lines.count
            if durable { state.pendingCompletions.append(completion) }
            guard state.writerParked, durable || state.pendingBytes >= Self.memoryModeWakeBytes else {
                return (decision, false)
            }
            state.writerParked = false
            return (decision, true)
        }
        if decision != .accepted { return refuse(decision) }
        if wakeWriter { wakeup.signal() }
        if !durable { completion(.success(.stored)) }
        return .accepted
    }

    /// ack=memory / ack=delivered with a remote sink: admit against the budget, hand the lines to the sink as
    /// one block; the bytes stay charged until the sink confirms them.
    private func submitToSink(
        _ write: PendingWrite, dispatcher: SinkDispatcher, completion: @escaping Completion
    ) -> AdmissionResult {
        let bytes = write.lines.count
        let decision = shared.withLock { $0.gate.admit(bytes: bytes) }
        if decision != .accepted { return refuse(decision) }
        let block = SinkBlock(lines: write.lines.array)
        if block.malformedLines > 0 { observer.eventsDropped(events: block.malformedLines, reason: "malformed_line") }
        var once: CompletionOnce?
        if configuration.ackMode == .delivered {
            let pending = CompletionOnce(completion)
            once = pending
            let events = write.eventCount
            let observer = self.observer
            let timeout = DispatchTimeInterval.nanoseconds(Int(clamping: configuration.sinkTimeout.wholeNanoseconds))
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
                if pending.complete(.failure(.sinkTimeout)) { observer.sinkTimedOut(events: events) }
            }
        }
        dispatcher.dispatch(block, bytes: bytes, completion: once) { [self] released in
            shared.withLock { $0.gate.release(bytes: released) }
        }
        if once == nil { completion(.success(.stored)) }
        return .accepted
    }

    /// Would a submission of about `estimatedBytes` be refused right now? Callers ask before spending CPU on
    /// decoding a request, so an overloaded server refuses cheaply; ``submit(_:completion:)-(EventBatch,_)``
    /// still decides for real. Counts nothing and admits nothing.
    public func admissionPreview(estimatedBytes: Int) -> AdmissionResult {
        switch shared.withLock({ $0.gate.preview(bytes: estimatedBytes) }) {
        case .accepted: .accepted
        case .queueFull, .walFull: .queueFull(retryAfterSeconds: configuration.retryAfterSeconds)
        case .stopped: .stopped
        }
    }

    /// Encoded bytes admitted but not yet written (ack=durable: not yet fdatasync'd).
    public var queuedBytes: Int { shared.withLock { $0.gate.queuedBytes } }

    /// True from the high-water mark until the queue drains below the low-water mark.
    public var isSaturated: Bool { shared.withLock { $0.gate.isSaturated } }

    /// Bytes across all segment files, as of the writer's last turn.
    public var walBytes: Int64 { shared.withLock { $0.walBytes } }

    /// ack=durable with a remote sink: WAL bytes the sink has not confirmed yet (sink lag); with the spool as
    /// the sink, 0; ack=memory / delivered with a remote sink: canonical bytes handed over and unconfirmed.
    public var undeliveredBytes: Int64 {
        switch route {
        case .spool: 0
        case .forwarded(let forwarder, _): forwarder.undeliveredBytes
        case .direct: Int64(shared.withLock { $0.gate.queuedBytes })
        }
    }

    /// The sink's name (`spool` when the WAL is the sink).
    public var sinkName: String {
        switch route {
        case .spool: "spool"
        case .forwarded(_, let sink), .direct(_, let sink): sink.name
        }
    }

    /// False while the sink says it cannot deliver; the spool is always reachable.
    public var sinkIsReachable: Bool {
        switch route {
        case .spool: true
        case .forwarded(_, let sink), .direct(_, let sink): sink.isReachable
        }
    }

    /// Segment files on disk, including the active one, as of the writer's last turn.
    public var segmentCount: Int { shared.withLock { $0.segmentCount } }

    /// When the writer loop last turned; it turns at least every `writerTickInterval` while healthy, so a
    /// stale heartbeat means it is stuck (e.g. in an fdatasync that never returns).
    public func heartbeat() -> ContinuousClock.Instant {
        shared.withLock { $0.heartbeat }
    }

    /// Stops admitting (`submit` returns `.stopped`), writes and fdatasyncs everything pending, completes all
    /// callbacks, closes the active segment and releases the data directory. `completion` runs once all of
    /// that is done, or at `deadline`, whichever comes first; at the deadline, durable submissions not yet
    /// synced complete with `.failure(.stopped)` (ack=memory: their events are lost), reported through
    /// `stopDeadlineExpired`. Safe to call more than once; starts the writer if `start()` was never called.
    public func stop(deadline: ContinuousClock.Instant, completion outerCompletion: @escaping @Sendable () -> Void) {
        let completion: @Sendable () -> Void = { [self] in
            drainSink(deadline: deadline, then: outerCompletion)
        }
        let (alreadyFinished, wakeWriter) = shared.withLock { state -> (Bool, Bool) in
            if state.stopFinished { return (true, false) }
            state.gate.stop()
            state.stopRequested = true
            state.stopCompletions.append(completion)
            let wasParked = state.writerParked
            state.writerParked = false
            return (false, wasParked)
        }
        if alreadyFinished {
            completion()
            return
        }
        start()
        if wakeWriter { wakeup.signal() }
        let remaining = deadline - ContinuousClock.now
        let delay = DispatchTimeInterval.nanoseconds(Int(clamping: max(remaining, .zero).wholeNanoseconds))
        DispatchQueue.global().asyncAfter(deadline: .now() + delay) { self.abandonAtDeadline() }
    }

    /// After the writer has stopped: let the sink take what is left until `deadline` (the forwarder delivers
    /// the WAL's rest; direct submissions in flight finish), flush it, then call `then`. What is still
    /// undelivered stays in the WAL (durable) or is counted lost (memory) or answered 503 (delivered).
    private func drainSink(deadline: ContinuousClock.Instant, then: @escaping @Sendable () -> Void) {
        switch route {
        case .spool:
            then()
        case .forwarded(let forwarder, let sink):
            forwarder.stop(deadline: deadline) {
                _ = sink.flush(timeout: max(deadline - ContinuousClock.now, .zero))
                then()
            }
        case .direct(let dispatcher, let sink):
            let once = CompletionOnce { _ in then() }
            dispatcher.whenDrained {
                // Off the caller's thread: the last delivery report can run this on the sink's own callback
                // thread (librdkafka's poll loop), which a blocking flush would wait on for ever.
                DispatchQueue.global().async {
                    _ = sink.flush(timeout: max(deadline - ContinuousClock.now, .zero))
                    once.complete(.success(.stored))
                }
            }
            let remaining = DispatchTimeInterval.nanoseconds(
                Int(clamping: max(deadline - ContinuousClock.now, .zero).wholeNanoseconds)
            )
            let observer = self.observer
            DispatchQueue.global().asyncAfter(deadline: .now() + remaining) {
                let lost = dispatcher.eventsInFlight
                if once.complete(.failure(.stopped)), lost > 0 { observer.stopDeadlineExpired(unwrittenEvents: lost) }
            }
        }
    }

    // MARK: - Writer loop (writerQueue only)

    private func runWriterLoop() {
        var spare: [PendingWrite] = []
        while true {
            var turn = shared.withLock { state -> WriterTurn in
                state.heartbeat = now()
                var writes = spare
                swap(&writes, &state.pending)
                state.pendingBytes = 0
                if !state.pendingCompletions.isEmpty {
                    state.inFlightCompletions = state.pendingCompletions
                    state.pendingCompletions.removeAll(keepingCapacity: true)
                    state.inFlightEvents = writes.reduce(0) { $0 + $1.eventCount }
                }
                let stopping = state.stopRequested
                if writes.isEmpty && !stopping { state.writerParked = true }
                return WriterTurn(writes: writes, stopping: stopping)
            }

            writer.rotateIfAged()
            if !turn.writes.isEmpty {
                let results = writer.writeRound(turn.writes)
                let writtenBytes = turn.writes.reduce(0) { $0 + $1.lines.count }
                let completions = shared.withLock { state -> [Completion]? in
                    // Forwarding: the written bytes move from the queue to the WAL backlog in one step, so
                    // admission never sees them in neither.
                    if case .forwarded = route { state.gate.updateBacklog(bytes: writer.walBytes) }
                    state.gate.release(bytes: writtenBytes)
                    state.walBytes = writer.walBytes
                    state.segmentCount = writer.segmentCount
                    state.inFlightEvents = 0
                    defer { state.inFlightCompletions = nil }
                    return state.inFlightCompletions
                }
                if let completions {
                    for (completion, result) in zip(completions, results) { completion(result.map { .stored }) }
                }
            }
            if walAckMode == .memory { writer.syncIfDue() }
            var deliveredBefore: UInt64?
            if case .forwarded(let forwarder, _) = route {
                if !turn.writes.isEmpty { forwarder.notifyAppended() }
                deliveredBefore = forwarder.delivered.sequence
            }
            writer.enforceRetention(deliveredBefore: deliveredBefore)
            let forwarding = deliveredBefore != nil
            shared.withLock { state in
                state.walBytes = writer.walBytes
                state.segmentCount = writer.segmentCount
                if forwarding { state.gate.updateBacklog(bytes: writer.walBytes) }
            }

            if turn.stopping {
                finishStop()
                return
            }
            let idle = turn.writes.isEmpty
            // Reuse the array's storage for the next pending list; this also frees the written lines.
            spare = turn.writes
            turn.writes = []
            spare.removeAll(keepingCapacity: true)
            if idle {
                _ = wakeup.wait(timeout: .now() + .nanoseconds(Int(clamping: writerTickInterval.wholeNanoseconds)))
            }
        }
    }

    /// Everything admitted has been taken and written; close up and tell the stoppers.
    private func finishStop() {
        writer.finish()
        let stopCompletions = shared.withLock { state -> [@Sendable () -> Void] in
            state.walBytes = writer.walBytes
            state.segmentCount = writer.segmentCount
            if state.stopFinished { return [] }
            state.stopFinished = true
            defer { state.stopCompletions.removeAll() }
            return state.stopCompletions
        }
        for completion in stopCompletions { completion() }
    }

    /// The stop deadline passed before the writer finished: fail what is still unwritten and report stopped.
    /// The writer, if it is still inside a syscall, finishes closing the segment on its own later.
    private func abandonAtDeadline() {
        let abandoned = shared.withLock { state -> (completions: [Completion], events: Int, stoppers: [@Sendable () -> Void])? in
            if state.stopFinished { return nil }
            state.stopFinished = true
            let pendingEvents = state.pending.reduce(0) { $0 + $1.eventCount }
            state.gate.release(bytes: state.pending.reduce(0) { $0 + $1.lines.count })
            state.pending.removeAll()
            var completions = state.inFlightCompletions ?? []
            completions += state.pendingCompletions
            state.inFlightCompletions = nil
            state.pendingCompletions.removeAll()
            let events = pendingEvents + state.inFlightEvents
            defer { state.stopCompletions.removeAll() }
            return (completions, events, state.stopCompletions)
        }
        guard let abandoned else { return }
        if abandoned.events > 0 { observer.stopDeadlineExpired(unwrittenEvents: abandoned.events) }
        for completion in abandoned.completions { completion(.failure(.stopped)) }
        for stopper in abandoned.stoppers { stopper() }
    }

    private func refuse(_ decision: AdmissionGate.Decision) -> AdmissionResult {
        switch decision {
        case .stopped:
            observer.admissionRefused(reason: "stopped")
            return .stopped
        case .walFull:
            observer.admissionRefused(reason: "wal_full")
            return .queueFull(retryAfterSeconds: configuration.retryAfterSeconds)
        case .queueFull, .accepted:
            observer.admissionRefused(reason: "queue_full")
            return .queueFull(retryAfterSeconds: configuration.retryAfterSeconds)
        }
    }
}
